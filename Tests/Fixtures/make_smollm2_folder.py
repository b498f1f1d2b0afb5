"""Writes .models/SmolLM2-135M-Instruct-hf/ (a bf16 Hugging Face folder, sharded) from the BF16 GGUF.

Run from the repository root after `make fetch` / Tests/Fixtures/make_quantized_models.py:
    python3 Tests/Fixtures/make_smollm2_folder.py
gguf-py reads the tensors; q/k rows are un-permuted back to Hugging Face's rotate-half layout (the inverse
of llama.cpp convert_hf_to_gguf.py's permute) and safetensors writes them (transformers 5 keeps GGUF
weights packed and will not save_pretrained them). Not committed (270 MB); QuantizeOnLoadTests' SmolLM2
case and the memory measurement use it when it exists.
"""
import json
import os

import numpy as np
import torch
from gguf import GGUFReader
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".models")
OUT = os.path.join(ROOT, "SmolLM2-135M-Instruct-hf")
reader = GGUFReader(os.path.join(ROOT, "SmolLM2-135M-Instruct.BF16.gguf"))


def field(name):
    f = reader.fields[name]
    return f.parts[f.data[0]].tolist()[0] if len(f.data) == 1 else [f.parts[i].tolist()[0] for i in f.data]


heads, kv_heads = field("llama.attention.head_count"), field("llama.attention.head_count_kv")
hidden, layers = field("llama.embedding_length"), field("llama.block_count")


def unpermute(w, n_head):
    rows, cols = w.shape
    return w.reshape(n_head, rows // n_head // 2, 2, cols).transpose(1, 2).reshape(rows, cols)


names = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
         "output.weight": "lm_head.weight"}
per_layer = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
             "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
             "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm"}
tensors = {}
for t in reader.tensors:
    shape = [int(d) for d in reversed(t.shape.tolist())]
    raw = np.asarray(t.data)
    if t.tensor_type.name == "BF16":
        value = torch.from_numpy(raw.view(np.int16).reshape(shape).copy()).view(torch.bfloat16)
    else:
        value = torch.from_numpy(raw.astype(np.float32).reshape(shape).copy()).to(torch.bfloat16)
    if t.name in names:
        name = names[t.name]
    else:
        _, i, kind, _ = t.name.split(".")
        name = f"model.layers.{i}.{per_layer[kind]}.weight"
        if kind == "attn_q":
            value = unpermute(value, heads)
        elif kind == "attn_k":
            value = unpermute(value, kv_heads)
    tensors[name] = value.contiguous()

os.makedirs(OUT, exist_ok=True)
keys = sorted(tensors)
half = len(keys) // 2
shards = {"model-00001-of-00002.safetensors": keys[:half], "model-00002-of-00002.safetensors": keys[half:]}
weight_map = {}
for file, part in shards.items():
    save_file({k: tensors[k] for k in part}, os.path.join(OUT, file), metadata={"format": "pt"})
    weight_map.update({k: file for k in part})
with open(os.path.join(OUT, "model.safetensors.index.json"), "w") as f:
    json.dump({"metadata": {"total_size": sum(v.numel() * 2 for v in tensors.values())}, "weight_map": weight_map}, f)
config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": hidden,
          "intermediate_size": field("llama.feed_forward_length"), "num_hidden_layers": layers,
          "num_attention_heads": heads, "num_key_value_heads": kv_heads,
          "rms_norm_eps": field("llama.attention.layer_norm_rms_epsilon"),
          "rope_theta": field("llama.rope.freq_base"), "max_position_embeddings": field("llama.context_length"),
          "vocab_size": tensors["model.embed_tokens.weight"].shape[0],
          "tie_word_embeddings": "lm_head.weight" not in tensors, "bos_token_id": 1, "eos_token_id": 2,
          "torch_dtype": "bfloat16"}
with open(os.path.join(OUT, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
print(config)
