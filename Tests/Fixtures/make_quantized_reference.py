"""Reference logits for quantization on load: each fixture folder's matrices (all 2-D weights) are
quantized and dequantized with gguf-py (ggml's reference rounding), then run by transformers in float32.

Run from the repository root after make_hf_models.py:  HF_HUB_OFFLINE=1 python3 Tests/Fixtures/make_quantized_reference.py
Writes hf/<model>/reference/{q8_0,q4_0}_logits_16.npy ([16, 256] float32) for the 16-token sequence.
"""
import json
import os

import numpy as np
import torch
from gguf import GGMLQuantizationType, quants
from transformers import LlamaForCausalLM

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hf")
for name in ("llama3_sharded_bf16", "tied_f16", "llama2_f32"):
    folder = os.path.join(ROOT, name)
    ids = json.load(open(os.path.join(folder, "reference", "cases.json")))["sequences"]["16"]
    for label, qtype in (("q8_0", GGMLQuantizationType.Q8_0), ("q4_0", GGMLQuantizationType.Q4_0)):
        model = LlamaForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
        with torch.no_grad():
            for pname, p in model.named_parameters():
                if p.dim() == 2:  # matrices (embedding and lm_head included); norms stay as stored
                    w = p.detach().numpy().astype(np.float32)
                    p.copy_(torch.from_numpy(quants.dequantize(quants.quantize(w, qtype), qtype).reshape(w.shape)))
            logits = model(torch.tensor([ids])).logits[0].numpy().astype(np.float32)
        np.save(os.path.join(folder, "reference", f"{label}_logits_16.npy"), logits)
        print(name, label, "written")
