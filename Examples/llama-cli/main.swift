print("llama-cli")
