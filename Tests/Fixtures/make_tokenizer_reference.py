#!/usr/bin/env python3
"""Writes Tests/Fixtures/tokenizer/smollm2_tokenizer_golden.json: reference token ids and chat renders for
SmolLM2-135M-Instruct, produced by independent implementations from the same GGUF file LlamaKit reads.

References (all offline):
  * llama.cpp, through llama-cpp-python: `Llama(path, vocab_only=True).tokenize(...)`. This is the engine
    that defines GGUF's `tokenizer.ggml.pre = "smollm"`, and it is the golden reference when installed.
  * Hugging Face `tokenizers` with SmolLM2's own pre-tokenizer, Sequence[Digits(individual_digits=True),
    ByteLevel(add_prefix_space=False)], on the GGUF's vocabulary and merges ("hf_smollm2").
  * transformers' GGUF tokenizer conversion: `AutoTokenizer.from_pretrained(dir, gguf_file=...)`
    ("transformers_gguf"). It ignores `tokenizer.ggml.pre = "smollm"` and keeps GPT-2's pre-tokenizer without
    the Digits split, so it differs wherever whitespace meets a digit; where it differs its ids are stored
    beside the golden ones for the record.
  * Pre-tokenizer splits: `tokenizers`' Split(Regex(pattern), "isolated") for the GPT-2 and Llama 3 patterns,
    and Digits(individual_digits=True) before GPT-2 for SmolLM, stored as piece lengths in Unicode scalars.
  * Chat renders: jinja2 on the GGUF's own `tokenizer.chat_template`, with trim_blocks and lstrip_blocks as
    transformers uses it, cross-checked against `apply_chat_template`.

Usage: HF_HUB_OFFLINE=1 python3 Tests/Fixtures/make_tokenizer_reference.py [path/to/model.gguf]
"""

import importlib.metadata
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[2]
MODEL = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    "LLAMAKIT_MODEL", ROOT / ".models" / "SmolLM2-135M-Instruct.Q4_1.gguf"))
OUT = ROOT / "Tests" / "Fixtures" / "tokenizer" / "smollm2_tokenizer_golden.json"


def version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------------------------------------
# Cases

def document_20k():
    """A deterministic ~20 KB document mixing prose, code, numbers, markup and several scripts."""
    parts = [
        "# Quarterly report {n}\n\n"
        "The committee met on 2024-03-{d:02d} at 09:30 and reviewed {m} proposals. "
        "Revenue grew by {n}.{d}% to $1,{n:03d},250.75, while costs fell 3.2%. It's the {n}th "
        "consecutive quarter of growth; we've kept headcount flat and they're happy about it.\n",
        "```python\ndef fib_{n}(k: int) -> int:\n    a, b = 0, 1\n    for _ in range(k):\n"
        "        a, b = b, a + b\n    return a  # fib({n}) = ...\n```\n",
        "| id | name | score |\n|----|------|-------|\n| {n} | Ada | {d}.5 |\n| {d} | Grace | 9{n} |\n\n",
        "Übersicht: Die Größe beträgt {n} Meter. Le café coûte {d},50 €. ¿Dónde está la estación? "
        "Olá, coração! Perché no?\n",
        "東京は日本の首都です。北京欢迎你{n}次。서울에서 만나요. नमस्ते दुनिया। สวัสดีครับ\n",
        "Emoji time 😀👍🏽🇺🇸 — “quoted” text… and\ttabs\r\nplus CRLF lines\r\n\n   indented {n}\n",
        '{{"key_{n}": [1, 2, 3], "nested": {{"x": {d}.0e-3, "ok": true}}}}\n',
    ]
    out = []
    n = 0
    while sum(len(p.encode()) for p in out) < 20_000:
        n += 1
        for template in parts:
            out.append(template.format(n=n, d=(n * 7) % 31 + 1, m=n * 17))
    return "".join(out)


def cases():
    c = []

    def add(category, *texts):
        for t in texts:
            c.append((category, t))

    add("empty", "")
    add("english",
        "Hello world", "Hello, world!", "The quick brown fox jumps over the lazy dog.",
        "I can't believe it's not butter.", "This is a test of the emergency broadcast system.",
        "SmolLM2 is a family of compact language models.", "HELLO WORLD", "hello", "Hello",
        "A man, a plan, a canal: Panama.", "Mr. O'Neil's dog barked at 3 a.m. sharp.")
    add("contractions",
        "don't", "I'm", "they're", "we've", "you'll", "he'd", "It's", "IT'S", "'s", "''", "rock 'n' roll",
        "'twas", "can't've", "'re'll'd")
    add("leading-space", " hello", "  hello", "   hello", " ", "  ", " Hello world", "\u00a0hello")
    add("digits",
        "1", "12", "123", "1234567890", "3.14159", "1,000,000", "2024-01-15", "v1.2.3", " 42", "a1b2c3",
        "x  1", "100%", "$5.99", "0x1F", "1e-10", "9" * 64, "call 555-0199 now", "a 1 b 22 c 333",
        "٠١٢٣", "١٢٣", "①②③", "Ⅻ", "x²+y³", "１２３", "৩৪", "一二三", "  3.14", "1\n\n 2", "1 2 3 4 5")
    add("whitespace",
        "a  b", "a   b", "a    b", "a \n b", "a   ", "\n", "\n\n", "\n\n\n", " \n ", "   \n\n   x",
        "\u3000x", "a\u2028b", "a\u0085b", "a\u00a0\u00a0b", "x\u000bx\u000cx", "    ", " " * 17 + "end")
    add("crlf", "line1\r\nline2\r\n", "\r\n\r\n", "\r", "a\rb", "a\r\n\r\n  b", " \r\n")
    add("tabs", "\tindent", "a\tb", "\t\t\tx", "\t \t", "col1\tcol2\tcol3\n1\t2\t3", "\t\n\t")
    add("emoji",
        "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇺🇸", "I ❤️ Swift", "😀😃😄😁😆😅😂🤣", "🦙.cpp", "a😀b", " 😀", "🏳️‍🌈")
    add("combining",
        "e\u0301", "Cafe\u0301", "n\u0303", "Z\u0351\u0352\u0353a\u0300\u0301l\u0302g\u0303o", "\u0301",
        "क्षत्रिय", "a\u0308\u0304", "\u200b", "\ufeffBOM", "x\u200dy")
    add("cjk",
        "你好，世界！", "我爱自然语言处理。", "東京は日本の首都です。", "ひらがなとカタカナ", "한국어 텍스트입니다.",
        "中文 English 混合", "漢字かな交じり文")
    add("scripts",
        "नमस्ते दुनिया", "हिन्दी में लिखा गया वाक्य।", "สวัสดีครับ", "ภาษาไทยไม่มีช่องว่าง", "مرحبا بالعالم",
        "שלום עולם", "Привет, мир!", "Γειά σου Κόσμε", "Xin chào thế giới", "Ελληνικά 123")
    add("european",
        "Grüße aus München! Die Straße ist groß.", "Übermäßig schöne Äpfel, Öl und Überfluss.",
        "Ça va? L'été dernier, j'ai mangé des crêpes à Noël.", "Où est la bibliothèque ?",
        "¿Cómo estás? ¡Muy bien, señor!", "El niño comió piñata en año nuevo.",
        "Perché l'università è così cara? Però è bella.", "Città, caffè e più.",
        "Olá! A situação é ótima, não é? Coração.", "Ação, informação e educação.")
    add("punctuation",
        "...", "?!?!", "—–-", "«quote»", "“smart quotes”", "a.b.c", "@user #tag", "(parens) [brackets] {braces}",
        "!!!!!!!!", "~`^|\\", "a--b", "<b>bold</b>")
    add("code",
        "def add(a, b):\n    return a + b\n",
        "func greet(_ name: String) -> String {\n    return \"Hello, \\(name)!\"\n}\n",
        "for (int i = 0; i < n; ++i) { sum += a[i]; }",
        "const x = () => { console.log('hi'); };",
        "<div class=\"container\">\n  <p>Text</p>\n</div>",
        "{\"name\": \"SmolLM2\", \"params\": 135000000, \"tags\": [\"a\", \"b\"]}",
        "#!/bin/bash\nset -euo pipefail\necho \"$HOME\" | grep -v '^#'\n",
        "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
        "    if x:\n        y = 1\n    else:\n        y = 2\n",
        "x = [i**2 for i in range(10) if i % 2 == 0]")
    add("special-literal",
        "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im_start|>user\nHi<|im_end|>\n",
        "<repo_name>x<file_sep>y", "<|im_start|><|im_start|>", "<|im_start", "text<|im_end|>more",
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
        " <|im_end|> ", "<jupyter_code>print(1)<jupyter_output>", "<|im_end|>\n\n<|endoftext|>")
    add("misc",
        "https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct?x=1&y=2", "user@example.com",
        "**bold** _italic_ `code`", "∑∫√∞≈≠", "┌──┐\n│ok│\n└──┘", "\u0001\u0007", "a\u0000b", "\ue000",
        "𝒜𝓑𝕮", "𐍈𐌰", "~/.config/llama", "C:\\Users\\name", "α+β=γ", "½ ¾ ⅓")
    # Bytes SmolLM2's vocabulary has no token for (0x04, 0x06, 0x13, 0x14, 0x16, 0x1D, 0xF1, 0xF2, ...): both
    # references drop them, so these do not survive a round trip.
    add("unencodable", "a\u0004b", "\u0013\u0014", "x\U00040000y", "a\u0004\u0004b \u001d")
    add("long", document_20k(), "a" * 5000, "😀" * 1000, "ab " * 1700 + "!")
    return c


CONVERSATIONS = [
    ([{"role": "user", "content": "Hello!"}], True),
    ([{"role": "user", "content": "Hello!"}], False),
    ([{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}], True),
    ([{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"},
      {"role": "user", "content": "And 3+3?"}], True),
    ([], True),
    ([], False),
    ([{"role": "system", "content": "Only system."}], False),
    ([{"role": "assistant", "content": "I start."}, {"role": "user", "content": "Ok"}], True),
    ([{"role": "user", "content": "Multi\nline\n\ncontent with  spaces, émoji 😀 and 日本語"}], True),
]


# ---------------------------------------------------------------------------------------------------------
# References

GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                  r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def pre_tokenizer_references():
    """Piece lengths (in Unicode scalars) of each pre-tokenizer, from Hugging Face `tokenizers`."""
    from tokenizers import Regex, pre_tokenizers

    def split(pattern):
        return pre_tokenizers.Split(Regex(pattern), behavior="isolated")

    splitters = {
        "gpt2": split(GPT2_PATTERN),
        "smollm": pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), split(GPT2_PATTERN)]),
        "llama3": split(LLAMA3_PATTERN),
    }

    def lengths(text):
        out = {}
        for name, splitter in splitters.items():
            pieces = [piece for piece, _ in splitter.pre_tokenize_str(text)]
            if "".join(pieces) != text:
                sys.exit(f"{name} pieces do not cover {text[:40]!r}")
            out[name] = [len(piece) for piece in pieces]
        return out
    return lengths

def llama_cpp_reference():
    try:
        from llama_cpp import Llama
    except ImportError:
        return None
    llm = Llama(model_path=str(MODEL), vocab_only=True, verbose=False)

    def encode(text, special):
        return llm.tokenize(text.encode("utf-8"), add_bos=False, special=special) if text else []
    return encode


def hf_references():
    from tokenizers import Tokenizer, pre_tokenizers
    from transformers import AutoTokenizer

    converted = AutoTokenizer.from_pretrained(str(MODEL.parent), gguf_file=MODEL.name)
    backend = converted.backend_tokenizer

    smollm2 = Tokenizer.from_str(backend.to_str())
    smollm2.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])

    def encoder(tokenizer):
        def encode(text, special):
            tokenizer.encode_special_tokens = not special
            return tokenizer.encode(text, add_special_tokens=False).ids
        return encode

    plain = Tokenizer.from_str(backend.to_str())
    return converted, encoder(smollm2), encoder(plain)


def main():
    if not MODEL.exists():
        sys.exit(f"{MODEL} not found; run `make fetch` first.")
    from gguf import GGUFReader
    import jinja2

    reader = GGUFReader(str(MODEL))
    template = reader.fields["tokenizer.chat_template"].contents()

    llama = llama_cpp_reference()
    converted, hf_smollm2, transformers_gguf = hf_references()
    pre_lengths = pre_tokenizer_references()
    golden_name = "llama.cpp" if llama else "hf_smollm2"
    golden = llama or hf_smollm2

    records = []
    disagreements = {"llama.cpp vs hf_smollm2": 0, "golden vs transformers_gguf": 0}
    for category, text in cases():
        record = {"category": category, "text": text}
        for special in (False, True):
            key = "ids_special" if special else "ids"
            ids = golden(text, special)
            record[key] = ids
            alt = hf_smollm2(text, special)
            if llama and alt != ids:
                disagreements["llama.cpp vs hf_smollm2"] += 1
                record[key + "_hf_smollm2"] = alt
            tf = transformers_gguf(text, special)
            if tf != ids:
                disagreements["golden vs transformers_gguf"] += 1
                record[key + "_transformers_gguf"] = tf
        record["pre"] = pre_lengths(text)
        if record["ids_special"] == record["ids"]:
            del record["ids_special"]  # the common case: the tests read a missing key as "same as ids"
        records.append(record)

    environment = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    compiled = environment.from_string(template)
    chats = []
    for messages, generation in CONVERSATIONS:
        rendered = compiled.render(messages=messages, add_generation_prompt=generation)
        if messages:
            via_transformers = converted.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)
            if via_transformers != rendered:
                sys.exit(f"jinja2 and apply_chat_template disagree on {messages!r}")
        chats.append({"messages": messages, "add_generation_prompt": generation, "rendered": rendered,
                      "ids_special": golden(rendered, True)})

    header = {
        "model": MODEL.name,
        "golden": golden_name,
        "note": "'ids' is parseSpecial=false, 'ids_special' parseSpecial=true (absent: same as 'ids'); both without BOS. "
                "Keys ending _hf_smollm2 / _transformers_gguf hold that reference's ids where it differs from the golden one. "
                "'pre' holds each pre-tokenizer's piece lengths in Unicode scalars (Hugging Face tokenizers' Split/Digits).",
        "versions": {name: version(name) for name in
                     ("llama_cpp_python", "tokenizers", "transformers", "gguf", "jinja2")},
        "disagreements": disagreements,
        "generator": "Tests/Fixtures/make_tokenizer_reference.py",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"header": header, "cases": records, "chat": chats}, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): {len(records)} cases, {len(chats)} chats; "
          f"golden={golden_name}; disagreements={disagreements}")
    for r in records:
        for key in ("ids", "ids_special"):
            if key + "_transformers_gguf" in r or key + "_hf_smollm2" in r:
                print(f"  differs [{r['category']}] {key}: {r['text'][:40]!r}")


if __name__ == "__main__":
    main()
