"""Checks that GGUF files written by llama-convert load in llama.cpp (llama-cpp-python) and give the same
top-1 tokens as LlamaKit on the Hugging Face folder.

Run from the repository root after `swift build -c release`:
    python3 Tests/Fixtures/compare_converted_llamacpp.py [--smollm2]
For each fixture folder (and .models/SmolLM2-135M-Instruct-hf with --smollm2) and each type it converts
with .build/release/llama-convert, evaluates the fixture's 16-token sequence (every position) with
llama.cpp and with .build/release/llama-logits on the folder, and prints top-1 agreement and max abs diff.
Exits non-zero if any top-1 differs for the unquantized types.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from llama_cpp import Llama

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hf")
BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".build", "release")
folders = [(os.path.join(ROOT, n), json.load(open(os.path.join(ROOT, n, "reference", "cases.json")))["sequences"]["16"])
           for n in ("llama3_sharded_bf16", "tied_f16", "llama2_f32")]
if "--smollm2" in sys.argv:
    smol = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".models", "SmolLM2-135M-Instruct-hf")
    folders.append((smol, [1, 504, 3345, 282, 253, 1345, 5143, 30, 4923, 2303, 314, 469, 17, 216, 1095, 28]))
failed = False
with tempfile.TemporaryDirectory() as tmp:
    for folder, ids in folders:
        ours_path = os.path.join(tmp, "ours.npy")
        subprocess.run([os.path.join(BIN, "llama-logits"), "--model", folder, "--ids", ",".join(map(str, ids)),
                        "--all-positions", "--out", ours_path], check=True)
        ours = np.load(ours_path)
        for t in ("f16", "bf16", "q8_0", "q4_0"):
            gguf = os.path.join(tmp, f"{t}.gguf")
            subprocess.run([os.path.join(BIN, "llama-convert"), folder, "--out", gguf, "--type", t], check=True,
                           stderr=subprocess.DEVNULL)
            llm = Llama(model_path=gguf, n_ctx=64, logits_all=True, verbose=False)
            llm.eval(ids)
            theirs = np.array(llm.scores[: len(ids)])
            agree = (theirs.argmax(1) == ours.argmax(1)).mean()
            print(f"{os.path.basename(folder)} {t}: llama.cpp top-1 agreement {agree:.3f}, "
                  f"max abs diff {np.abs(theirs - ours).max():.4g}")
            if t in ("f16", "bf16") and agree < 1:
                failed = True
            del llm
sys.exit(1 if failed else 0)
