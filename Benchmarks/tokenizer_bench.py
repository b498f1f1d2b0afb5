#!/usr/bin/env python3
"""Times Llama 3 encoding with tiktoken and Hugging Face `tokenizers`, single-threaded, on the same ~10 MB
multilingual text LlamaKit's benchmarks use (see `bench_text` below and BenchmarkText.swift).

  python3 Benchmarks/tokenizer_bench.py                 # both references, 3 rounds each, best round reported
  python3 Benchmarks/tokenizer_bench.py --write-text F  # only write the benchmark text to F (UTF-8)

The text is built from the committed golden corpus (Tests/Fixtures/tokenizer/llama3_tokenizer_golden.json):
every case except the "repeated" category, shuffled with a 64-bit LCG and joined with "\\n", round after round
until it reaches 10,000,000 UTF-8 bytes. The Swift side builds the same bytes the same way.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "Tests" / "Fixtures" / "tokenizer" / "llama3_tokenizer_golden.json"
MODEL_DIR = ROOT / ".models" / "llama3"
TARGET_BYTES = 10_000_000
MASK = (1 << 64) - 1


def bench_text(target=TARGET_BYTES):
    with open(GOLDEN, encoding="utf-8") as f:
        texts = [c["text"] for c in json.load(f)["cases"] if c["category"] != "repeated"]
    state = 0x2545F4914F6CDD1D
    pieces, size = [], 0
    while size < target:
        order = list(range(len(texts)))
        for i in range(len(order) - 1, 0, -1):
            state = (state * 6364136223846793005 + 1442695040888963407) & MASK
            j = (state >> 33) % (i + 1)
            order[i], order[j] = order[j], order[i]
        for k in order:
            pieces.append(texts[k])
            size += len(texts[k].encode()) + 1
            if size >= target:
                break
    return "\n".join(pieces)


def timed(label, encode, text, rounds):
    nbytes = len(text.encode())
    best = best_cpu = None
    for _ in range(rounds):
        cpu = time.thread_time()
        start = time.perf_counter()
        ids = encode(text)
        elapsed = time.perf_counter() - start
        cpu = time.thread_time() - cpu
        best = elapsed if best is None else min(best, elapsed)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    # Thread CPU time is what one uncontended core would take; wall time includes waiting for a busy machine.
    print(f"{label:<30} wall {best:6.3f} s = {nbytes / best / 1e6:7.2f} MB/s, {len(ids) / best / 1e6:5.2f} M tokens/s; "
          f"thread CPU {best_cpu:6.3f} s = {nbytes / best_cpu / 1e6:7.2f} MB/s  ({len(ids)} tokens, best of {rounds})")
    return ids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--write-text", metavar="FILE")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    text = bench_text()
    if args.write_text:
        Path(args.write_text).write_bytes(text.encode())
        print(f"wrote {args.write_text}: {len(text.encode())} bytes")
        return

    sys.path.insert(0, str(ROOT / "Tests" / "Fixtures"))
    from make_llama3_tokenizer_reference import LLAMA3_PATTERN, llama31_special_tokens
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe
    from tokenizers import Tokenizer

    print(f"text: {len(text.encode())} bytes, {len(text)} characters; cpus: {os.cpu_count()}, "
          f"load average: {os.getloadavg()[0]:.2f}")
    start = time.perf_counter()
    ranks = load_tiktoken_bpe(str(MODEL_DIR / "tokenizer.model"))
    encoding = tiktoken.Encoding(name="llama3", pat_str=LLAMA3_PATTERN, mergeable_ranks=ranks,
                                 special_tokens=llama31_special_tokens(len(ranks)))
    print(f"tiktoken load: {time.perf_counter() - start:.3f} s")
    start = time.perf_counter()
    hf = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
    print(f"tokenizers load (tokenizer.json): {time.perf_counter() - start:.3f} s")

    hf.encode_special_tokens = True  # special-token texts are ordinary text, as in encode_ordinary

    def encode_hf(t):
        return hf.encode(t, add_special_tokens=False).ids

    a = timed("tiktoken encode_ordinary", encoding.encode_ordinary, text, args.rounds)
    b = timed("tokenizers encode (1 thread)", encode_hf, text, args.rounds)
    print(f"ids identical: {a == b}")


if __name__ == "__main__":
    main()
