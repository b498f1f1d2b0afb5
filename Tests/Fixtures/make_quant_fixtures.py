#!/usr/bin/env python3
"""Tiny GGUF + reference arrays for dequantization / matvec tests of every tensor type.

What it does
------------
Writes Tests/Fixtures/quant/:
  types.gguf            GGUF v3, general.architecture = "test", one tensor per type,
                        each 4 rows x 512 columns (GGUF shape ne = [512, 4]).
                        Tensor name == type name: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q4_K Q6_K.
  <TYPE>_dequant.npy    float32 [4, 512]  gguf.quants.dequantize of the stored bytes
  <TYPE>_matvec.npy     float64 [4]       dequant(W) @ x        (computed in float64)
  <TYPE>_matmul.npy     float64 [3, 4]    x_batch @ dequant(W).T (computed in float64)
  x.npy                 float32 [512]
  x_batch.npy           float32 [3, 512]

Source data: seeded random normal, row r scaled by ROW_SCALES[r] (weight-like 0.02 up to
outlier-ish 3.0).  F16 / BF16 / Q8_0 / Q4_0 / Q4_1 bytes come from gguf.quants.quantize.
gguf-py has no quantizer for Q4_K / Q6_K, so this script contains a simple quantizer of
its own for those two (plain min/max scaling, not llama.cpp's optimized search); the
reference values are nevertheless always gguf-py's *dequantize* of the bytes written, and
the script asserts that gguf-py's dequantization reproduces this script's intended
reconstruction (so the packing is verified against an independent decoder).

How to run
----------
  python3 Tests/Fixtures/make_quant_fixtures.py
Deterministic (fixed seed).  Dependencies: numpy, gguf.
"""
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import quantize, dequantize

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "quant")
SEED = 1234
ROWS, COLS = 4, 512
ROW_SCALES = np.array([0.02, 0.1, 1.0, 3.0])
TYPES = [T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q4_K, T.Q6_K]

QK_K = 256


def f16(v):
    return np.asarray(v, dtype=np.float32).astype(np.float16)


# ----------------------------------------------------------------------------- Q4_K
def quantize_q4_k(x):
    """x: float32 [rows, cols], cols % 256 == 0 -> uint8 [rows, cols/256*144], and the
    reconstruction this script intends (float64)."""
    rows, cols = x.shape
    nb = cols // QK_K
    out = np.zeros((rows, nb, 144), dtype=np.uint8)
    recon = np.zeros((rows, cols), dtype=np.float64)
    for r in range(rows):
        for b in range(nb):
            blk = x[r, b * QK_K:(b + 1) * QK_K].astype(np.float64).reshape(8, 32)
            mins = np.maximum(-blk.min(axis=1), 0.0)               # m_j >= 0, y = d*s*q - dmin*m
            scales = (blk.max(axis=1) + mins) / 15.0
            d = f16(scales.max() / 63.0 if scales.max() > 0 else 0.0)
            dmin = f16(mins.max() / 63.0 if mins.max() > 0 else 0.0)
            dd, dm = float(d), float(dmin)
            sc = np.clip(np.round(scales / dd), 1, 63).astype(np.int64) if dd > 0 else np.zeros(8, np.int64)
            mn = np.clip(np.round(mins / dm), 0, 63).astype(np.int64) if dm > 0 else np.zeros(8, np.int64)
            q = np.zeros((8, 32), dtype=np.int64)
            for j in range(8):
                step = dd * sc[j]
                if step > 0:
                    q[j] = np.clip(np.round((blk[j] + dm * mn[j]) / step), 0, 15)
                recon[r, b * QK_K + j * 32:b * QK_K + (j + 1) * 32] = dd * sc[j] * q[j] - dm * mn[j]
            # pack 6-bit scales/mins into 12 bytes
            s12 = np.zeros(12, dtype=np.int64)
            for j in range(4):
                s12[j] = sc[j] | ((sc[j + 4] >> 4) << 6)
                s12[j + 4] = mn[j] | ((mn[j + 4] >> 4) << 6)
                s12[j + 8] = (sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4)
            # 4-bit quants: 4 chunks of 32 bytes; chunk c: low nibble = sub-block 2c, high = 2c+1
            qs = np.zeros(128, dtype=np.int64)
            for c in range(4):
                qs[c * 32:(c + 1) * 32] = q[2 * c] | (q[2 * c + 1] << 4)
            blkbytes = (np.array([d], dtype="<f2").view(np.uint8).tolist()
                        + np.array([dmin], dtype="<f2").view(np.uint8).tolist()
                        + s12.tolist() + qs.tolist())
            out[r, b] = np.array(blkbytes, dtype=np.uint8)
    return out.reshape(rows, nb * 144), recon


# ----------------------------------------------------------------------------- Q6_K
def quantize_q6_k(x):
    """x: float32 [rows, cols] -> uint8 [rows, cols/256*210] and intended reconstruction."""
    rows, cols = x.shape
    nb = cols // QK_K
    out = np.zeros((rows, nb, 210), dtype=np.uint8)
    recon = np.zeros((rows, cols), dtype=np.float64)
    for r in range(rows):
        for b in range(nb):
            blk = x[r, b * QK_K:(b + 1) * QK_K].astype(np.float64)
            sub = blk.reshape(16, 16)
            # signed sub-scale: the element of largest magnitude maps to -32
            idx = np.argmax(np.abs(sub), axis=1)
            big = sub[np.arange(16), idx]
            subscale = big / -32.0
            amax = np.abs(subscale).max()
            d = f16(amax / 127.0 if amax > 0 else 0.0)
            dd = float(d)
            sc = np.clip(np.round(subscale / dd), -128, 127).astype(np.int64) if dd > 0 else np.zeros(16, np.int64)
            q = np.full((16, 16), 32, dtype=np.int64)        # stored 0..63, value = q - 32
            for j in range(16):
                step = dd * sc[j]
                if step != 0:
                    q[j] = np.clip(np.round(sub[j] / step), -32, 31) + 32
            qf = q.reshape(256)
            for j in range(16):
                recon[r, b * QK_K + j * 16:b * QK_K + (j + 1) * 16] = dd * sc[j] * (q[j] - 32)
            # pack: two halves of 128 values; within a half, l in 0..31:
            #   v[l]    -> ql[l] low,    qh[l] bits 0-1
            #   v[l+32] -> ql[l+32] low, qh[l] bits 2-3
            #   v[l+64] -> ql[l] high,   qh[l] bits 4-5
            #   v[l+96] -> ql[l+32] high,qh[l] bits 6-7
            ql = np.zeros(128, dtype=np.int64)
            qh = np.zeros(64, dtype=np.int64)
            for h in range(2):
                v = qf[h * 128:(h + 1) * 128]
                L = np.arange(32)
                ql[h * 64 + L] = (v[L] & 0xF) | ((v[L + 64] & 0xF) << 4)
                ql[h * 64 + 32 + L] = (v[L + 32] & 0xF) | ((v[L + 96] & 0xF) << 4)
                qh[h * 32 + L] = ((v[L] >> 4) | ((v[L + 32] >> 4) << 2)
                                  | ((v[L + 64] >> 4) << 4) | ((v[L + 96] >> 4) << 6))
            scb = sc.astype(np.int8).view(np.uint8).astype(np.int64)
            blkbytes = ql.tolist() + qh.tolist() + scb.tolist() + np.array([d], dtype="<f2").view(np.uint8).tolist()
            out[r, b] = np.array(blkbytes, dtype=np.uint8)
    return out.reshape(rows, nb * 210), recon


def quantize_type(src, t):
    """src float32 [rows, cols] in type t -> (data for GGUFWriter.add_tensor, raw_dtype or None, and for
    Q4_K/Q6_K the reconstruction this script's quantizer intends, else None)."""
    if t == T.F32:
        return src.copy(), None, None
    if t == T.F16:
        return src.astype(np.float16), None, None
    if t == T.Q4_K:
        data, recon = quantize_q4_k(src)
        return data, t, recon
    if t == T.Q6_K:
        data, recon = quantize_q6_k(src)
        return data, t, recon
    return quantize(src, t), t, None


def save_npy(path, arr, dtype):
    arr = np.ascontiguousarray(np.asarray(arr, dtype=np.dtype(dtype).newbyteorder("<")))
    with open(path, "wb") as f:
        np.lib.format.write_array(f, arr, version=(1, 0), allow_pickle=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(SEED)
    src = (rng.standard_normal((ROWS, COLS)) * ROW_SCALES[:, None]).astype(np.float32)
    # a little structure: a few larger outliers per row, like real weight matrices
    for r in range(ROWS):
        cols = rng.choice(COLS, size=4, replace=False)
        src[r, cols] *= 6.0
    x = rng.standard_normal(COLS).astype(np.float32)
    xb = rng.standard_normal((3, COLS)).astype(np.float32)

    path = os.path.join(OUT, "types.gguf")
    w = gguf.GGUFWriter(path, "test")
    w.add_name("LlamaKit quant type fixtures")
    w.add_description("4x512 tensors, one per type; see Tests/Fixtures/make_quant_fixtures.py")
    w.add_uint32("test.rows", ROWS)
    w.add_uint32("test.cols", COLS)

    summary = {}
    for t in TYPES:
        data, raw, recon = quantize_type(src, t)
        deq = np.asarray(dequantize(data, t), dtype=np.float32).reshape(ROWS, COLS)
        if t in (T.Q4_K, T.Q6_K):
            err = np.abs(deq.astype(np.float64) - recon).max()
            assert err < 1e-6 * max(1.0, np.abs(recon).max()), (t.name, err)
        assert np.all(np.isfinite(deq))
        if raw is None:
            w.add_tensor(t.name, data)
        else:
            w.add_tensor(t.name, data, raw_dtype=raw)
        mv = deq.astype(np.float64) @ x.astype(np.float64)
        mm = xb.astype(np.float64) @ deq.astype(np.float64).T
        save_npy(os.path.join(OUT, f"{t.name}_dequant.npy"), deq, "f4")
        save_npy(os.path.join(OUT, f"{t.name}_matvec.npy"), mv, "f8")
        save_npy(os.path.join(OUT, f"{t.name}_matmul.npy"), mm, "f8")
        rel = np.abs(deq - src).max(axis=1) / np.abs(src).max(axis=1)
        summary[t.name] = dict(bytes_per_row=int(data.nbytes // ROWS),
                               max_rel_quant_error_per_row=[round(float(v), 5) for v in rel])
        print(f"{t.name:5s} bytes/row={data.nbytes // ROWS:5d} rel quant err per row={np.round(rel, 4)}")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    save_npy(os.path.join(OUT, "x.npy"), x, "f4")
    save_npy(os.path.join(OUT, "x_batch.npy"), xb, "f4")

    # verify the written file reads back identically
    rd = gguf.GGUFReader(path)
    for tt in rd.tensors:
        deq = dequantize(tt.data, tt.tensor_type).reshape(ROWS, COLS)
        ref = np.load(os.path.join(OUT, f"{tt.name}_dequant.npy"))
        assert tt.name == tt.tensor_type.name and list(tt.shape) == [COLS, ROWS], (tt.name, tt.shape)
        assert np.array_equal(deq.astype(np.float32), ref), tt.name
    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump(dict(generator="Tests/Fixtures/make_quant_fixtures.py",
                       command="python3 Tests/Fixtures/make_quant_fixtures.py",
                       versions=dict(gguf=_v("gguf"), numpy=np.__version__),
                       seed=SEED, rows=ROWS, cols=COLS, row_scales=ROW_SCALES.tolist(),
                       tensors=summary), f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {path}; quant/ total {total} bytes")


def _v(name):
    from importlib.metadata import version
    return version(name)


if __name__ == "__main__":
    main()
