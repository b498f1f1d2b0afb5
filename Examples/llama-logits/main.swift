print("llama-logits")
