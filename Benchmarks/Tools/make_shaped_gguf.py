#!/usr/bin/env python3
"""Writes a Llama-architecture GGUF with random weights at Llama 3.1 8B or 70B shapes, for side-by-side speed runs.

No real 8B/70B checkpoint can be fetched on our machines, yet the question users ask is how fast those run. This
writes a file with their exact tensor shapes (hidden 4096 / 8192, 32 / 64 heads, 8 KV heads, FFN 14336 / 28672,
32 / 80 layers) in one storage type, with the tokenizer copied from SmolLM2's GGUF (vocab 49152 instead of 128256,
so the embedding and output matrices are smaller than the real ones'). Both llama.cpp's llama-bench and ours load
it, so tokens/s can be compared end to end. The values are random, so generated text is meaningless; the block
scales are set so the weights have a realistic spread (std ~0.02) and activations stay finite. `--type q4_k_m`
mixes types roughly as llama.cpp's Q4_K_M does: Q4_K, with Q6_K for the output projection and for attn_v and
ffn_down in every other layer (llama.cpp picks a few more layers at both ends).

Usage: python3 Benchmarks/Tools/make_shaped_gguf.py --tokenizer-from .models/SmolLM2-135M-Instruct.Q4_1.gguf \
           --shape 8b --type q4_0 --out /tmp/llama-8b-shaped-q4_0.gguf [--layers N]
Needs: pip install gguf numpy (not used by CI; the files are several GB and are never committed).
"""
import argparse
import numpy as np
from gguf import GGUFReader, GGUFWriter, GGMLQuantizationType, TokenType

SHAPES = {"8b": dict(hidden=4096, heads=32, kv_heads=8, ffn=14336, layers=32),
          "70b": dict(hidden=8192, heads=64, kv_heads=8, ffn=28672, layers=80)}

ap = argparse.ArgumentParser()
ap.add_argument("--tokenizer-from", required=True)
ap.add_argument("--shape", choices=SHAPES, default="8b")
ap.add_argument("--type", choices=["q4_0", "q4_k", "q4_k_m", "q8_0", "bf16"], default="q4_0")
ap.add_argument("--layers", type=int, help="fewer layers than the real model (for a quick file)")
ap.add_argument("--out", required=True)
a = ap.parse_args()
s = SHAPES[a.shape]
layers = a.layers or s["layers"]
rng = np.random.default_rng(7)


def field(reader, key):
    f = reader.fields[key]
    return [f.parts[i] for i in f.data]


def text(parts):
    return bytes(parts[0]).decode()


def random_matrix(rows, cols, kind=None):
    """(dtype, byte array) for a rows × cols matrix of `kind` (default: the file's type) whose dequantized values
    have std ~0.02."""
    kind = kind or ("q4_k" if a.type == "q4_k_m" else a.type)
    if kind == "q6_k":
        # 210-byte super-blocks of 256: 128 bytes of low nibbles, 64 of high bit pairs (random), 16 int8 scales,
        # fp16 d. Weights d·sc·(q - 32): q - 32 uniform (std ~18.5), sc uniform in ±[16, 48] (rms ~34).
        blocks = rng.integers(0, 256, size=(rows, cols // 256, 210), dtype=np.uint8)
        sc = rng.integers(16, 49, size=(rows, cols // 256, 16)) * rng.choice([-1, 1], size=(rows, cols // 256, 16))
        blocks[:, :, 192:208] = sc.astype(np.int8).view(np.uint8)
        d = (0.02 / (34 * 18.5) * rng.uniform(0.5, 1.5, size=(rows, cols // 256))).astype(np.float16)
        blocks[:, :, 208:210] = d.view(np.uint8).reshape(rows, cols // 256, 2)
        return GGMLQuantizationType.Q6_K, blocks.reshape(rows, -1)
    if kind == "bf16":
        w = (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).view(np.uint32)
        return GGMLQuantizationType.BF16, (w >> 16).astype(np.uint16)
    if kind == "q4_k":
        # 144-byte super-blocks of 256: fp16 d and dmin, twelve bytes of packed 6-bit scales and minimums
        # (random), 128 bytes of nibbles (random). Weights d·sc·q - dmin·m: sc, q uniform make std ~ d · 36 · 4.6.
        blocks = rng.integers(0, 256, size=(rows, cols // 256, 144), dtype=np.uint8)
        d = (0.02 / (36 * 4.6) * rng.uniform(0.5, 1.5, size=(rows, cols // 256))).astype(np.float16)
        dmin = (0.02 / (36 * 4.6) * 7.5 * rng.uniform(0.5, 1.5, size=(rows, cols // 256))).astype(np.float16)
        blocks[:, :, 0:2] = d.view(np.uint8).reshape(rows, cols // 256, 2)
        blocks[:, :, 2:4] = dmin.view(np.uint8).reshape(rows, cols // 256, 2)
        return GGMLQuantizationType.Q4_K, blocks.reshape(rows, -1)
    if kind == "q8_0":
        blocks = np.empty((rows, cols // 32, 34), dtype=np.uint8)
        blocks[:, :, 2:] = rng.integers(0, 256, size=(rows, cols // 32, 32), dtype=np.uint8)
        scale = 0.02 / 73.9  # std of uniform int8 is ~73.9
        dtype = GGMLQuantizationType.Q8_0
    else:
        blocks = np.empty((rows, cols // 32, 18), dtype=np.uint8)
        blocks[:, :, 2:] = rng.integers(0, 256, size=(rows, cols // 32, 16), dtype=np.uint8)
        scale = 0.02 / 4.6  # std of uniform nibble - 8 is ~4.6
        dtype = GGMLQuantizationType.Q4_0
    d = (scale * rng.uniform(0.5, 1.5, size=(rows, cols // 32))).astype(np.float16)
    blocks[:, :, 0:2] = d.view(np.uint8).reshape(rows, cols // 32, 2)
    return dtype, blocks.reshape(rows, -1)


tok = GGUFReader(a.tokenizer_from)
vocab = len(tok.fields["tokenizer.ggml.tokens"].data)
hd = s["hidden"] // s["heads"]
w = GGUFWriter(a.out, "llama")
w.add_name(f"Llama-3.1-{a.shape.upper()}-shaped random {a.type}")
w.add_block_count(layers)
w.add_context_length(8192)
w.add_embedding_length(s["hidden"])
w.add_feed_forward_length(s["ffn"])
w.add_head_count(s["heads"])
w.add_head_count_kv(s["kv_heads"])
w.add_rope_freq_base(500000.0)
w.add_layer_norm_rms_eps(1e-5)
w.add_vocab_size(vocab)
w.add_rope_dimension_count(hd)
w.add_file_type({"q4_0": 2, "q4_k": 14, "q4_k_m": 15, "q8_0": 7, "bf16": 32}[a.type])
w.add_tokenizer_model(text(field(tok, "tokenizer.ggml.model")))
w.add_tokenizer_pre(text(field(tok, "tokenizer.ggml.pre")))
w.add_token_list([bytes(p).decode() for p in field(tok, "tokenizer.ggml.tokens")])
w.add_token_types([int(p[0]) for p in field(tok, "tokenizer.ggml.token_type")])
w.add_token_merges([bytes(p).decode() for p in field(tok, "tokenizer.ggml.merges")])
for key, add in [("bos_token_id", w.add_bos_token_id), ("eos_token_id", w.add_eos_token_id),
                 ("unknown_token_id", w.add_unk_token_id), ("padding_token_id", w.add_pad_token_id)]:
    add(int(field(tok, "tokenizer.ggml." + key)[0][0]))
w.add_add_bos_token(False)
w.add_chat_template(text(field(tok, "tokenizer.chat_template")))

# One random matrix per shape, shared by every layer: the file still holds each layer's own copy (distinct pages),
# which is all a bandwidth-bound decode step sees, and the script stays fast and small in memory.
H, F, KV = s["hidden"], s["ffn"], s["kv_heads"] * hd
cache = {}


def matrix(rows, cols, kind=None):
    if (rows, cols, kind) not in cache:
        cache[(rows, cols, kind)] = random_matrix(rows, cols, kind)
    dtype, data = cache[(rows, cols, kind)]
    return dict(tensor=data, raw_dtype=dtype)


def more_bits(layer):
    """Q4_K_M's Q6_K layers for attn_v and ffn_down (here every other one)."""
    return "q6_k" if a.type == "q4_k_m" and layer % 2 == 0 else None


ones = np.ones(H, dtype=np.float32)
w.add_tensor("token_embd.weight", **matrix(vocab, H))
for i in range(layers):
    w.add_tensor(f"blk.{i}.attn_norm.weight", ones)
    w.add_tensor(f"blk.{i}.attn_q.weight", **matrix(H, H))
    w.add_tensor(f"blk.{i}.attn_k.weight", **matrix(KV, H))
    w.add_tensor(f"blk.{i}.attn_v.weight", **matrix(KV, H, more_bits(i)))
    w.add_tensor(f"blk.{i}.attn_output.weight", **matrix(H, H))
    w.add_tensor(f"blk.{i}.ffn_norm.weight", ones)
    w.add_tensor(f"blk.{i}.ffn_gate.weight", **matrix(F, H))
    w.add_tensor(f"blk.{i}.ffn_up.weight", **matrix(F, H))
    w.add_tensor(f"blk.{i}.ffn_down.weight", **matrix(H, F, more_bits(i)))
w.add_tensor("output_norm.weight", ones)
dtype, data = random_matrix(vocab, H, "q6_k" if a.type == "q4_k_m" else None)  # its own values: untied, as in the real 8B/70B
w.add_tensor("output.weight", data, raw_dtype=dtype)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file(progress=False)
w.close()
print(a.out)
