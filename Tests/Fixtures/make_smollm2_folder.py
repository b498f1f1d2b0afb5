"""Writes .models/SmolLM2-135M-Instruct-hf/ (a bf16 Hugging Face folder, 2 shards) from the BF16 GGUF.

Run from the repository root after `make fetch` and Tests/Fixtures/make_quantized_models.py:
    HF_HUB_OFFLINE=1 python3 Tests/Fixtures/make_smollm2_folder.py
transformers reads the GGUF (undoing llama.cpp's q/k permutation) and save_pretrained writes safetensors.
Not committed (270 MB); QuantizeOnLoadTests' SmolLM2 case runs when the folder exists.
"""
import os

import torch
from transformers import AutoModelForCausalLM

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".models")
model = AutoModelForCausalLM.from_pretrained(ROOT, gguf_file="SmolLM2-135M-Instruct.BF16.gguf", dtype=torch.bfloat16)
model.save_pretrained(os.path.join(ROOT, "SmolLM2-135M-Instruct-hf"), max_shard_size="100MB")
