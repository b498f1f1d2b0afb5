#!/usr/bin/env python3
"""Odd-shaped tensors of every type, for the CPU decode kernels' edge cases.

What it does
------------
Writes Tests/Fixtures/kernels/:
  shapes.gguf        GGUF v3, general.architecture = "test", one tensor per type, 37 rows each:
                     F32/F16/BF16 with 519 columns (519 = 32*16 + 7: a masked tail after the 16-wide steps),
                     Q8_0/Q4_0/Q4_1 with 224 columns (7 blocks: an odd block after the two-block steps of the
                     int8 kernels), Q4_K/Q6_K with 768 columns (3 super-blocks).
                     37 rows = 9 groups of four and one more row; large enough for several chunks per thread.
  x_<K>.npy          float32 [K]  the activation for K columns (K = 519, 224, 768)
  <TYPE>_matvec.npy  float64 [37] gguf.quants.dequantize(W) @ x, computed in float64
  <TYPE>_absdot.npy  float64 [37] |dequantize(W)| @ |x|: the scale rounding errors are measured against

Weights: seeded random normal with per-row scales from 0.01 to 4 and a few outliers. F16/BF16/Q8_0/Q4_0/Q4_1
bytes come from numpy / gguf.quants.quantize; Q4_K/Q6_K from make_quant_fixtures.py's own quantizer (gguf-py
has none), whose bytes gguf-py's dequantizer checks. The reference values are always gguf-py's expansion.

How to run
----------
  python3 Tests/Fixtures/make_kernel_fixtures.py
Deterministic (fixed seed). Dependencies: numpy, gguf.
"""
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_quant_fixtures import quantize_type, save_npy  # noqa: E402

OUT = os.path.join(HERE, "kernels")
SEED = 4321
ROWS = 37
COLUMNS = {T.F32: 519, T.F16: 519, T.BF16: 519, T.Q8_0: 224, T.Q4_0: 224, T.Q4_1: 224, T.Q4_K: 768, T.Q6_K: 768}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(SEED)
    xs = {k: rng.standard_normal(k).astype(np.float32) for k in sorted(set(COLUMNS.values()))}
    path = os.path.join(OUT, "shapes.gguf")
    w = gguf.GGUFWriter(path, "test")
    w.add_name("LlamaKit decode kernel fixtures")
    w.add_description("37-row tensors of odd widths, one per type; see Tests/Fixtures/make_kernel_fixtures.py")
    for t, k in COLUMNS.items():
        scales = np.exp(rng.uniform(np.log(0.01), np.log(4.0), ROWS))
        src = (rng.standard_normal((ROWS, k)) * scales[:, None]).astype(np.float32)
        for r in range(ROWS):
            src[r, rng.choice(k, size=3, replace=False)] *= 5.0
        data, raw, _ = quantize_type(src, t)
        deq = np.asarray(dequantize(data, t), dtype=np.float32).reshape(ROWS, k).astype(np.float64)
        assert np.all(np.isfinite(deq))
        if raw is None:
            w.add_tensor(t.name, data)
        else:
            w.add_tensor(t.name, data, raw_dtype=raw)
        x = xs[k].astype(np.float64)
        save_npy(os.path.join(OUT, f"{t.name}_matvec.npy"), deq @ x, "f8")
        save_npy(os.path.join(OUT, f"{t.name}_absdot.npy"), np.abs(deq) @ np.abs(x), "f8")
        print(f"{t.name:5s} {ROWS}x{k} bytes/row={data.nbytes // ROWS}")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    for k, x in xs.items():
        save_npy(os.path.join(OUT, f"x_{k}.npy"), x, "f4")


if __name__ == "__main__":
    main()
