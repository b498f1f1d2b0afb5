#!/usr/bin/env python3
"""NOT for CI.  Writes SmolLM2-135M-Instruct in other tensor types into .models/ for
optional local tests of LlamaKit on every supported weight format.

What it does
------------
1. Reads .models/SmolLM2-135M-Instruct.Q4_1.gguf with gguf-py, dequantizes every tensor
   (gguf.quants.dequantize) and writes .models/SmolLM2-135M-Instruct.F32.gguf with ALL
   metadata key/values copied with their original value types (general.file_type set to
   0 = ALL_F32).  Tensor order, names, shapes and the q/k row layout are kept exactly as
   stored (llama.cpp's permuted layout for interleaved RoPE).  The F32 file therefore has
   bit-identical weight *values* to what the Q4_1 file decodes to, so the transformers
   reference fixtures apply to it as well.
2. Quantizes that F32 file with llama.cpp (llama-cpp-python low-level
   llama_cpp.llama_model_quantize) to F16, BF16, Q8_0, Q4_0, Q4_K_M, Q6_K.
   NOTE: SmolLM2-135M has n_embd = 576, which is not a multiple of 256, so llama.cpp
   cannot use k-quants for tensors whose row length is 576 and falls back to other
   types (e.g. Q5_0 / Q8_0).  The printed tensor-type counts show what each file holds.
3. Prints size and tensor-type counts of every file.

How to run
----------
  python3 Tests/Fixtures/make_quantized_models.py [--src .models/...Q4_1.gguf] [--types Q8_0,Q6_K]
Writes ~0.5 GB (F32) + ~0.1-0.3 GB per other type.  Existing outputs are overwritten.
Dependencies: numpy, gguf, llama-cpp-python.
"""
import argparse
import ctypes
import os
import sys
from collections import Counter

import numpy as np
import gguf
from gguf import GGUFValueType as VT
from gguf.quants import dequantize

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
MODELS = os.path.join(REPO, ".models")
DEFAULT_SRC = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")
STEM = "SmolLM2-135M-Instruct"
ALL_TYPES = ["F16", "BF16", "Q8_0", "Q4_0", "Q4_K_M", "Q6_K"]


def field_value(f):
    """Python value of a reader field, preserving raw scalar precision."""
    t0 = f.types[0]
    if t0 == VT.STRING:
        return bytes(f.parts[f.data[0]]).decode("utf-8")
    if t0 == VT.ARRAY:
        st = f.types[1] if len(f.types) > 1 else None
        if st == VT.STRING:
            return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        return [f.parts[i][0].item() for i in f.data]
    return f.parts[f.data[0]][0].item()


def write_f32(src, dst):
    r = gguf.GGUFReader(src)
    arch = field_value(r.fields["general.architecture"])
    w = gguf.GGUFWriter(dst, arch)
    for key, f in r.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        val = field_value(f)
        if key == "general.file_type":
            val = int(gguf.LlamaFileType.ALL_F32)
        if key == "general.alignment":
            w.data_alignment = int(val)
        if f.types[0] == VT.ARRAY:
            w.add_key_value(key, val, VT.ARRAY, sub_type=f.types[1])
        else:
            w.add_key_value(key, val, f.types[0])
    for t in r.tensors:
        ne = [int(x) for x in t.shape]
        a = np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32)
        a = np.ascontiguousarray(a.reshape(list(reversed(ne))))
        w.add_tensor(t.name, a)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    # verify: same metadata values, same tensor values
    r2 = gguf.GGUFReader(dst)
    for key, f in r.fields.items():
        if key.startswith("GGUF.") or key == "general.file_type":
            continue
        assert field_value(r2.fields[key]) == field_value(f), key
        assert r2.fields[key].types == f.types, key
    t2 = {t.name: t for t in r2.tensors}
    assert [t.name for t in r2.tensors] == [t.name for t in r.tensors]
    for t in r.tensors:
        a = dequantize(t.data, t.tensor_type).reshape(-1)
        b = np.asarray(t2[t.name].data).reshape(-1)
        assert list(t2[t.name].shape) == list(t.shape), t.name
        assert np.array_equal(a.astype(np.float32), b), t.name


def quantize(src, dst, type_name, nthread=2):
    import llama_cpp
    ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{type_name}")
    p = llama_cpp.llama_model_quantize_default_params()
    p.ftype = ftype
    p.nthread = nthread
    rc = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(p))
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize({type_name}) returned {rc}")


def describe(path):
    r = gguf.GGUFReader(path)
    c = Counter(t.tensor_type.name for t in r.tensors)
    by_kind = Counter()
    for t in r.tensors:
        kind = t.name.split(".")[-2] if t.name.startswith("blk.") else t.name.rsplit(".", 1)[0]
        by_kind[(kind, t.tensor_type.name)] += 1
    return os.path.getsize(path), dict(sorted(c.items())), dict(sorted(by_kind.items()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default=DEFAULT_SRC)
    ap.add_argument("--types", default=",".join(ALL_TYPES))
    ap.add_argument("--skip-f32", action="store_true", help="reuse an existing F32 file")
    args = ap.parse_args()
    f32 = os.path.join(MODELS, f"{STEM}.F32.gguf")
    if not (args.skip_f32 and os.path.exists(f32)):
        print(f"writing {f32} ...", flush=True)
        write_f32(args.src, f32)
    results = [("F32", f32, None)]
    for ty in [t for t in args.types.split(",") if t]:
        out = os.path.join(MODELS, f"{STEM}.{ty}.gguf")
        print(f"quantizing -> {out} ...", flush=True)
        try:
            quantize(f32, out, ty)
            results.append((ty, out, None))
        except Exception as e:
            results.append((ty, out, f"{type(e).__name__}: {e}"))
    print("\n| file | size (MiB) | tensor types | per tensor kind |")
    print("|---|---|---|---|")
    for ty, path, err in results:
        if err:
            print(f"| {os.path.basename(path)} | FAILED | {err} | |")
            continue
        size, c, kinds = describe(path)
        ks = ", ".join(f"{k}:{tt}x{n}" for (k, tt), n in kinds.items())
        print(f"| {os.path.basename(path)} | {size / 2**20:.1f} | {c} | {ks} |")


if __name__ == "__main__":
    main()
