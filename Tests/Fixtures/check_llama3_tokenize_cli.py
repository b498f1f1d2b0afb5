#!/usr/bin/env python3
"""Runs the golden Llama 3 corpus through `llama-tokenize --jsonl` (one process per mode) and counts the cases
whose ids equal the committed references: tiktoken for tokenizer.model, `tokenizers` for tokenizer.json.

Usage: python3 Tests/Fixtures/check_llama3_tokenize_cli.py [path/to/llama-tokenize]   (default .build/release)
Exits non-zero if any case differs.
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BINARY = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / ".build" / "release" / "llama-tokenize")
golden = json.loads((ROOT / "Tests" / "Fixtures" / "tokenizer" / "llama3_tokenizer_golden.json").read_text("utf-8"))
cases = golden["cases"]
stdin = "".join(json.dumps({"id": i, "text": c["text"]}, ensure_ascii=False) + "\n" for i, c in enumerate(cases))


def expected(case, reference, special):
    tiktoken = case["tiktoken_special"] if special and "tiktoken_special" in case else case["tiktoken"]
    if reference == "tiktoken":
        return tiktoken
    return case.get("hf_special" if special else "hf", tiktoken)


failures = 0
for file, reference in (("tokenizer.model", "tiktoken"), ("tokenizer.json", "hf")):
    for special in (False, True):
        args = [BINARY, "--tokenizer", str(ROOT / ".models" / "llama3" / file), "--jsonl"] + (["--special"] if special else [])
        lines = subprocess.run(args, input=stdin.encode(), capture_output=True, check=True).stdout.decode().splitlines()
        same = sum(json.loads(line)["ids"] == expected(cases[json.loads(line)["id"]], reference, special) for line in lines)
        failures += len(cases) - same
        print(f"{file:<16} special={special!s:<5} vs {reference:<8}: {same}/{len(cases)} identical")
sys.exit(1 if failures else 0)
