#!/usr/bin/env python3
"""Independent float64 cross-check of the transformers reference logits.

What it does
------------
Implements the Llama forward pass from scratch in numpy float64 directly on the GGUF
tensors (dequantized with gguf-py: gguf.GGUFReader + gguf.quants.dequantize), without
transformers or torch:

  x = token_embd[ids]
  per layer:  h = x + Wo @ attn(RoPE(Wq @ rms(x)), RoPE(Wk @ rms(x)), Wv @ rms(x))
              x = h + Wdown @ (silu(Wgate @ rms(h)) * (Wup @ rms(h)))
  logits = token_embd @ rms(x)          (tied output, no output.weight in this file)

RMSNorm: x / sqrt(mean(x^2) + eps) * w.  GQA: query head h uses KV head h // (n_head/n_head_kv).
Causal softmax attention with scale 1/sqrt(head_dim).
RoPE is applied in the GGUF layout: llama.cpp's converter permuted the rows of attn_q /
attn_k so that rotating ADJACENT pairs (x[2i], x[2i+1]) by angle pos * base^(-2i/d) is
correct (transformers un-permutes on load and uses rotate-half instead, so this is an
independent check of that permutation too).

It then compares against the stored transformers fixtures in Tests/Fixtures/smollm2
(subset logits, top-64 logits, argmax, logsumexp) and prints the max abs differences.

How to run
----------
  python3 Tests/Fixtures/check_reference_f64.py [--model PATH] [--cases long,p1,...]
Exit status 1 if the max abs logit difference exceeds --tol (default 1e-3).

Dependencies: numpy, gguf (pip install numpy gguf).  ~1 GB RAM, ~1 min on 2 cores.
"""
import argparse
import json
import os
import sys

import numpy as np
import gguf
from gguf.quants import dequantize

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_MODEL = os.path.join(REPO, ".models", "SmolLM2-135M-Instruct.Q4_1.gguf")
FIX = os.path.join(HERE, "smollm2")


class GGUFModel:
    def __init__(self, path):
        self.r = gguf.GGUFReader(path)
        self.t = {t.name: t for t in self.r.tensors}
        f = self.r.fields
        arch = f["general.architecture"].contents()
        g = lambda k: f[f"{arch}.{k}"].contents()
        self.n_layer = int(g("block_count"))
        self.n_embd = int(g("embedding_length"))
        self.n_head = int(g("attention.head_count"))
        self.n_head_kv = int(g("attention.head_count_kv"))
        self.eps = float(g("attention.layer_norm_rms_epsilon"))
        self.base = float(g("rope.freq_base"))
        self.head_dim = self.n_embd // self.n_head
        self.rope_dim = int(g("rope.dimension_count")) if f"{arch}.rope.dimension_count" in f else self.head_dim
        self._cache = {}

    def w(self, name):
        """Dequantized tensor as float64 numpy array in row-major [ne1, ne0] (= [out, in])."""
        if name not in self._cache:
            t = self.t[name]
            a = dequantize(t.data, t.tensor_type)
            ne = [int(x) for x in t.shape]           # GGUF order: ne0 first
            a = np.asarray(a, dtype=np.float64).reshape(list(reversed(ne)))
            self._cache[name] = a
        return self._cache[name]

    def drop_layer(self, i):
        for k in [k for k in self._cache if k.startswith(f"blk.{i}.")]:
            del self._cache[k]


def rms(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope_interleaved(x, pos, base, rope_dim):
    """x: [T, H, D]; rotate adjacent pairs (2i, 2i+1) for i < rope_dim/2."""
    T, H, D = x.shape
    i = np.arange(rope_dim // 2, dtype=np.float64)
    inv = base ** (-2.0 * i / rope_dim)
    ang = pos[:, None].astype(np.float64) * inv[None, :]   # [T, rope_dim/2]
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    out = x.copy()
    x0 = x[:, :, 0:rope_dim:2]
    x1 = x[:, :, 1:rope_dim:2]
    out[:, :, 0:rope_dim:2] = x0 * c - x1 * s
    out[:, :, 1:rope_dim:2] = x0 * s + x1 * c
    return out


def forward(m, ids):
    """float64 logits [T, vocab]."""
    T = len(ids)
    emb = m.w("token_embd.weight")
    x = emb[np.asarray(ids)]
    pos = np.arange(T)
    H, KV, D = m.n_head, m.n_head_kv, m.head_dim
    rep = H // KV
    mask = np.triu(np.full((T, T), -np.inf), k=1)
    for l in range(m.n_layer):
        p = f"blk.{l}."
        h = rms(x, m.w(p + "attn_norm.weight"), m.eps)
        q = (h @ m.w(p + "attn_q.weight").T).reshape(T, H, D)
        k = (h @ m.w(p + "attn_k.weight").T).reshape(T, KV, D)
        v = (h @ m.w(p + "attn_v.weight").T).reshape(T, KV, D)
        q = rope_interleaved(q, pos, m.base, m.rope_dim)
        k = rope_interleaved(k, pos, m.base, m.rope_dim)
        att = np.empty((T, H, D))
        for hh in range(H):
            kh, vh = k[:, hh // rep, :], v[:, hh // rep, :]
            sc = (q[:, hh, :] @ kh.T) / np.sqrt(D) + mask
            sc = sc - sc.max(axis=-1, keepdims=True)
            pr = np.exp(sc)
            pr /= pr.sum(axis=-1, keepdims=True)
            att[:, hh, :] = pr @ vh
        x = x + att.reshape(T, H * D) @ m.w(p + "attn_output.weight").T
        h = rms(x, m.w(p + "ffn_norm.weight"), m.eps)
        g = h @ m.w(p + "ffn_gate.weight").T
        u = h @ m.w(p + "ffn_up.weight").T
        x = x + ((g / (1.0 + np.exp(-g))) * u) @ m.w(p + "ffn_down.weight").T
        m.drop_layer(l)
    x = rms(x, m.w("output_norm.weight"), m.eps)
    out_w = m.w("output.weight") if "output.weight" in m.t else emb
    return x @ out_w.T


def lse(a):
    mx = a.max(axis=-1, keepdims=True)
    return mx[..., 0] + np.log(np.exp(a - mx).sum(axis=-1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--cases", default=None, help="comma separated case names (default all)")
    ap.add_argument("--tol", type=float, default=1e-3)
    args = ap.parse_args()

    doc = json.load(open(os.path.join(FIX, "cases.json"), encoding="utf-8"))
    subset = np.load(os.path.join(FIX, "subset_ids.npy"))
    want = set(args.cases.split(",")) if args.cases else None
    arrays = {}
    m = GGUFModel(args.model)
    print(f"n_layer={m.n_layer} n_embd={m.n_embd} heads={m.n_head}/{m.n_head_kv} "
          f"head_dim={m.head_dim} base={m.base} eps={m.eps}")
    worst = 0.0
    rows = []
    for c in doc["cases"]:
        if want and c["name"] not in want:
            continue
        pre = c["file_prefix"]
        if pre not in arrays:
            arrays[pre] = {k: np.load(os.path.join(FIX, f"{pre}_{k}.npy"))
                           for k in ("subset", "top_ids", "top_logits", "argmax", "lse")}
        A = arrays[pre]
        lg = forward(m, c["ids"])
        r0 = c["row_offset"]
        d_sub = d_top = d_lse = 0.0
        n_arg = 0
        for j, p in enumerate(c["positions"]):
            r = r0 + j
            d_sub = max(d_sub, np.abs(lg[p, subset] - A["subset"][r]).max())
            d_top = max(d_top, np.abs(lg[p, A["top_ids"][r]] - A["top_logits"][r]).max())
            d_lse = max(d_lse, abs(lse(lg[p]) - A["lse"][r]))
            n_arg += int(np.argmax(lg[p]) == A["argmax"][r])
        n = len(c["positions"])
        worst = max(worst, d_sub, d_top)
        rows.append((c["name"], n, d_sub, d_top, d_lse, n_arg))
        print(f"{c['name']:>5}: T={len(c['ids']):3d} max|d| subset={d_sub:.3e} top64={d_top:.3e} "
              f"lse={d_lse:.3e} argmax {n_arg}/{n}", flush=True)
    print("\n| case | positions | max abs diff subset | max abs diff top-64 | max abs diff lse | argmax agree |")
    print("|---|---|---|---|---|---|")
    for name, n, a, b, cc, k in rows:
        print(f"| {name} | {n} | {a:.2e} | {b:.2e} | {cc:.2e} | {k}/{n} |")
    print(f"\nOVERALL max abs logit diff (float64 numpy on GGUF layout vs transformers float32): {worst:.3e}")
    sys.exit(0 if worst <= args.tol else 1)


if __name__ == "__main__":
    main()
