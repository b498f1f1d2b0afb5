#!/usr/bin/env python3
"""Independent reference fixtures for LlamaKit, produced with HF transformers (float32).

What it does
------------
Loads SmolLM2-135M-Instruct.Q4_1.gguf with HF transformers (transformers dequantizes
the GGUF weights with gguf-py and runs its own PyTorch Llama implementation in
float32, eager attention) and the tokenizer that transformers converts from the GGUF
metadata.  It then writes, into Tests/Fixtures/smollm2/:

  cases.json            logits cases (prompt text, ids, positions, array files)
  subset_ids.npy        int32 [4096]   fixed, seeded, sorted random subset of vocab ids
  long_*.npy            per-position logits data of case "long" (every position)
  last_*.npy            last-position logits data of cases p1..p9 (row = case index)
  greedy.json           48-token greedy continuations (manual argmax loop)
  tokenizer_cases.json  tokenizer ids / decode round trips
  README.md is hand-written and documents the layouts (not generated).

Nothing here comes from LlamaKit or llama.cpp.

How to run
----------
  cd <repo root>
  HF_HUB_OFFLINE=1 python3 Tests/Fixtures/make_reference.py [--model .models/SmolLM2-135M-Instruct.Q4_1.gguf]

Takes about 1-2 minutes on 2 CPU cores.  Deterministic: fixed seeds, fixed prompts,
torch.set_num_threads(2), float32, eager attention, no sampling.

Dependencies
------------
  pip install torch transformers accelerate gguf numpy tokenizers
  (transformers needs accelerate to load a GGUF file.)
"""
import argparse
import hashlib
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import torch
import transformers
import tokenizers
import gguf
from transformers import AutoModelForCausalLM, AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_MODEL = os.path.join(REPO, ".models", "SmolLM2-135M-Instruct.Q4_1.gguf")
OUT_DIR = os.path.join(HERE, "smollm2")

SUBSET_SEED = 20240601
SUBSET_SIZE = 4096
TOP_K = 64
N_NEW = 48
EOG_IDS = (0, 2)  # <|endoftext|>, <|im_end|>  (<|im_end|> is tokenizer.ggml.eos_token_id)

# --------------------------------------------------------------------------- prompts
LONG_TEXT = (
    "The history of the printing press begins in the fifteenth century, when Johannes "
    "Gutenberg developed a system of movable metal type in Mainz. His invention made books "
    "far cheaper to produce, and within a few decades printing shops had spread across Europe."
)

# (name, kind, text-or-messages).  kind "raw" = text as is, "chat" = rendered with the
# chat template (add_generation_prompt=True).
LAST_CASES = [
    ("p1", "raw", "def fibonacci(n):\n    if n < 2:\n        return n\n    return"),
    ("p2", "raw", "The numbers 3, 5, 7, 11, 13 and 17 are all prime. The next prime after 17 is"),
    ("p3", "raw", "Question: Why is the sky blue?\nAnswer:"),
    ("p4", "chat", [{"role": "user", "content": "Write a haiku about autumn leaves."}]),
    ("p5", "raw", "Le chat est assis sur le tapis, et le chien dort dans le jardin. Demain, nous"),
    ("p6", "raw", "Wow!!! 🎉🎉 That's amazing... isn't it?! :-) #happy @you —"),
    ("p7", "raw", "Hello"),
    ("p8", "raw", "北京是中国的首都，东京是"),
    ("p9", "raw", "  Item 1:\n\tprice = $42.50;\r\n\tqty  = 7\n\n\tTOTAL:"),
]

GREEDY_CASES = [
    ("raw_story", "raw", "Once upon a time, in a small village by the sea,"),
    ("raw_fact", "raw", "The largest planet in our solar system is"),
    ("raw_code", "raw", "def add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n"),
    ("chat_france", "chat", [{"role": "user", "content": "What is the capital of France?"}]),
    ("chat_tips", "chat", [{"role": "user", "content": "Give me three tips for staying healthy."}]),
    ("chat_system", "chat", [
        {"role": "system", "content": "You are a concise assistant. Answer in one sentence."},
        {"role": "user", "content": "Why do leaves change color in autumn?"},
    ]),
]


def tokenizer_strings():
    """>= 60 strings for tokenizer tests.  Deterministic."""
    para_sentences = [
        "The river wound slowly through the valley, carrying leaves and small branches toward the distant sea.",
        "In 1887, a young engineer named Clara Hoffmann proposed a bridge that most of her colleagues considered impossible.",
        "She spent three winters measuring currents, testing mortar, and arguing with the city council about money.",
        "When the first stones were finally laid, nearly 4,000 people gathered on the banks to watch.",
        "Some of them laughed; others prayed; a few simply waited, as if the outcome had already been decided.",
        "The bridge opened on a cold morning in March, and it still carries traffic today.",
        "Historians disagree about why it succeeded when so many similar projects failed.",
        "Perhaps it was luck, perhaps it was stubbornness, or perhaps it was the careful notebooks she kept (now in the city archive).",
    ]
    para = []
    i = 0
    while len(" ".join(para)) < 5000:
        para.append(para_sentences[i % len(para_sentences)])
        i += 1
    paragraph = " ".join(para)
    paragraph = paragraph[:5120]

    return [
        ("empty", ""),
        ("single_char", "a"),
        ("hello", "Hello"),
        ("hello_world", "Hello world"),
        ("hello_world_punct", "Hello, world!"),
        ("sentence", "The quick brown fox jumps over the lazy dog."),
        ("leading_space", " Hello"),
        ("leading_spaces", "   Hello world"),
        ("trailing_space", "Hello "),
        ("trailing_spaces", "Hello   "),
        ("double_space", "Hello  world"),
        ("space_run", "a          b"),
        ("only_spaces", "     "),
        ("only_newline", "\n"),
        ("newlines", "line one\nline two\n\nline four\n"),
        ("crlf", "first\r\nsecond\r\n"),
        ("tabs", "col1\tcol2\t\tcol3"),
        ("mixed_ws", " \t \n \r\n  x  \t"),
        ("digits", "12345678901"),
        ("digits_spaced", "1 22 333 4444"),
        ("year", "In 2024, prices rose 3.5% to $1,299.99."),
        ("space_before_digits", "a  1"),
        ("spaces_before_number", "x   2024"),
        ("newlines_before_digit", "a\n\n3"),
        ("tabs_before_digit", "foo\t\t5"),
        ("phone", "+1 (555) 123-4567"),
        ("float_sci", "6.022e23 and -1.5E-10"),
        ("contractions", "I'm sure you'll see it's what we'd've done, don't you think? They're here."),
        ("contractions_upper", "I'M SURE IT'S FINE, ISN'T IT?"),
        ("code_python", "def main():\n    print(\"hi\")\n    return 0\n"),
        ("code_c", "int main(void) {\n\tfor (int i = 0; i < 10; ++i) { x[i] = i * 2; }\n\treturn 0;\n}"),
        ("code_swift", "let x: [Int] = (0..<8).map { $0 &* 3 } // comment"),
        ("json", "{\"key\": [1, 2, 3], \"nested\": {\"a\": null, \"b\": true}}"),
        ("url", "https://example.com/path?query=1&other=two#frag"),
        ("email", "someone.else@example.org"),
        ("punct_run", "!!!???...---***"),
        ("brackets", "([{<>}])"),
        ("emoji", "I love pizza 🍕 and cats 🐱!"),
        ("emoji_zwj", "Family: 👨‍👩‍👧‍👦 flag: 🇫🇷 thumbs: 👍🏽"),
        ("emoji_only", "🎉🎉🎉"),
        ("accented", "café naïve résumé Ångström"),
        ("combining", "cafe\u0301 n\u0303 a\u0308"),
        ("german", "Die Straße ist schön, aber der Fußgängerüberweg fehlt. Größe: XXL"),
        ("french", "Où est la bibliothèque ? C'est à côté de l'école, près du théâtre."),
        ("spanish", "¿Dónde está el baño? ¡Muchas gracias, señor!"),
        ("russian", "Привет, как дела? Всё хорошо."),
        ("greek", "Καλημέρα κόσμε"),
        ("cjk_chinese", "北京是中国的首都。"),
        ("cjk_japanese", "日本語のテキストです。カタカナとひらがな。"),
        ("korean", "안녕하세요, 세계!"),
        ("hindi", "नमस्ते दुनिया, आप कैसे हैं?"),
        ("thai", "สวัสดีครับ ยินดีที่ได้รู้จัก"),
        ("arabic", "مرحبا بالعالم"),
        ("hebrew", "שלום עולם"),
        ("math_symbols", "∀x ∈ ℝ: x² ≥ 0, ∑ᵢ aᵢ ≈ π"),
        ("nbsp_and_zero_width", "a\u00a0b\u200bc\ufeffd"),
        ("control_chars", "bell\x07 null\x00 esc\x1b[0m"),
        ("special_im_start", "<|im_start|>"),
        ("special_chatml_turn", "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n"),
        ("special_endoftext_inline", "end of doc<|endoftext|>start of next"),
        ("special_partial", "<|im_start|"),
        ("special_like_text", "<|not_a_token|> <repo_name>"),
        ("markdown", "# Title\n\n- item **bold** and _italic_\n- `code`\n\n> quote"),
        ("html", "<div class=\"a\">Hello &amp; welcome</div>"),
        ("repeat_a_500", "a" * 500),
        ("repeat_space_500", " " * 500),
        ("repeat_eq_500", "=" * 500),
        ("repeat_emoji_50", "😀" * 50),
        ("repeat_word", "hello " * 40),
        ("paragraph_5k", paragraph),
    ]


# --------------------------------------------------------------------------- helpers
def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_npy(path, arr, dtype):
    arr = np.ascontiguousarray(np.asarray(arr, dtype=np.dtype(dtype).newbyteorder("<")))
    with open(path, "wb") as f:
        np.lib.format.write_array(f, arr, version=(1, 0), allow_pickle=False)


def load_model(model_path):
    d, name = os.path.split(os.path.abspath(model_path))
    tok = AutoTokenizer.from_pretrained(d, gguf_file=name)
    kw = dict(gguf_file=name, attn_implementation="eager")
    try:
        model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, **kw)
    except TypeError:  # older transformers
        model = AutoModelForCausalLM.from_pretrained(d, torch_dtype=torch.float32, **kw)
    model.eval()
    assert next(model.parameters()).dtype == torch.float32
    return tok, model


@torch.no_grad()
def full_logits(model, ids):
    """float32 logits [len(ids), vocab] from one full-sequence forward pass."""
    x = torch.tensor([ids], dtype=torch.long)
    out = model(input_ids=x, use_cache=False)
    return out.logits[0].float().numpy()


def meta(model_path, sha, extra=None):
    m = {
        "generator": "Tests/Fixtures/make_reference.py",
        "command": "HF_HUB_OFFLINE=1 python3 Tests/Fixtures/make_reference.py",
        "reference_impl": "HF transformers LlamaForCausalLM, float32, eager attention, CPU; "
                          "tokenizer = transformers' conversion of the GGUF tokenizer metadata",
        "versions": {
            "python": sys.version.split()[0],
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "gguf": getattr(gguf, "__version__", None) or _pkg_version("gguf"),
            "numpy": np.__version__,
            "tokenizers": tokenizers.__version__,
        },
        "model_file": os.path.basename(model_path),
        "model_sha256": sha,
        "torch_num_threads": torch.get_num_threads(),
    }
    if extra:
        m.update(extra)
    return m


def _pkg_version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:
        return None


def decode(tok, ids):
    return tok.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)


def smollm_pretokenizer_variant(tok):
    """The same vocab/merges with the pre-tokenizer of the original SmolLM2 tokenizer.json
    (Digits(individual_digits=True) then ByteLevel) - what llama.cpp's "smollm" pre-type
    implements.  transformers' GGUF converter ignores tokenizer.ggml.pre and uses a plain
    ByteLevel pre-tokenizer, which differs for whitespace runs directly before a digit."""
    from tokenizers import Tokenizer, pre_tokenizers
    t = Tokenizer.from_str(tok.backend_tokenizer.to_str())
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    return t


# --------------------------------------------------------------------------- main parts
def logits_record(logits, subset_ids):
    """Per-position summary: subset logits, top-64, argmax, logsumexp (float64)."""
    lg = np.asarray(logits, dtype=np.float32)
    lg64 = lg.astype(np.float64)
    mx = lg64.max(axis=-1, keepdims=True)
    lse = (mx[..., 0] + np.log(np.exp(lg64 - mx).sum(axis=-1)))
    # top-k, descending by logit; ties broken by lower id (stable sort on -logit)
    order = np.argsort(-lg, axis=-1, kind="stable")[..., :TOP_K]
    top_logits = np.take_along_axis(lg, order, axis=-1)
    argmax = np.argmax(lg, axis=-1)
    assert np.all(argmax == order[..., 0])
    return dict(
        subset=lg[..., subset_ids],
        top_ids=order.astype(np.int32),
        top_logits=top_logits.astype(np.float32),
        argmax=argmax.astype(np.int32),
        lse=lse.astype(np.float64),
    )


def write_arrays(prefix, rec):
    save_npy(os.path.join(OUT_DIR, f"{prefix}_subset.npy"), rec["subset"], "f4")
    save_npy(os.path.join(OUT_DIR, f"{prefix}_top_ids.npy"), rec["top_ids"], "i4")
    save_npy(os.path.join(OUT_DIR, f"{prefix}_top_logits.npy"), rec["top_logits"], "f4")
    save_npy(os.path.join(OUT_DIR, f"{prefix}_argmax.npy"), rec["argmax"], "i4")
    save_npy(os.path.join(OUT_DIR, f"{prefix}_lse.npy"), rec["lse"], "f8")


def render_chat(tok, messages):
    return tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def make_cases(tok, model, model_path, sha):
    rng = np.random.default_rng(SUBSET_SEED)
    V = model.config.vocab_size
    subset_ids = np.sort(rng.choice(V, size=SUBSET_SIZE, replace=False)).astype(np.int32)
    save_npy(os.path.join(OUT_DIR, "subset_ids.npy"), subset_ids, "i4")

    cases = []
    # --- long: every position
    ids = tok.encode(LONG_TEXT, add_special_tokens=False)
    assert ids == tok(LONG_TEXT).input_ids, "tokenizer adds special tokens?"
    assert len(ids) >= 40, len(ids)
    lg = full_logits(model, ids)
    rec = logits_record(lg, subset_ids)
    write_arrays("long", rec)
    cases.append(dict(name="long", kind="raw", text=LONG_TEXT, ids=ids,
                      positions=list(range(len(ids))), file_prefix="long", row_offset=0,
                      argmax=rec["argmax"].tolist()))
    print(f"long: {len(ids)} tokens; argmax at last = {int(rec['argmax'][-1])} "
          f"{decode(tok, [int(rec['argmax'][-1])])!r}")

    # --- p1..p9: last position only, stacked
    recs = []
    for row, (name, kind, src) in enumerate(LAST_CASES):
        if kind == "chat":
            text = render_chat(tok, src)
        else:
            text = src
        ids = tok.encode(text, add_special_tokens=False)
        assert ids == tok(text).input_ids
        lg = full_logits(model, ids)
        r = logits_record(lg[-1:], subset_ids)
        recs.append(r)
        c = dict(name=name, kind=kind, text=text, ids=ids, positions=[len(ids) - 1],
                 file_prefix="last", row_offset=row, argmax=[int(r["argmax"][0])])
        if kind == "chat":
            c["messages"] = src
        cases.append(c)
        print(f"{name}: {len(ids)} tokens; argmax {int(r['argmax'][0])} {decode(tok, [int(r['argmax'][0])])!r}")
    stacked = {k: np.concatenate([r[k] for r in recs], axis=0) for k in recs[0]}
    write_arrays("last", stacked)

    doc = dict(
        meta=meta(model_path, sha, dict(
            subset_seed=SUBSET_SEED, subset_size=SUBSET_SIZE, top_k=TOP_K,
            bos_prepended=False,
            note="ids are exactly the model input (no BOS: tokenizer.ggml.add_bos_token=false and "
                 "the transformers tokenizer adds nothing). Row r of <file_prefix>_*.npy holds "
                 "position positions[r - row_offset] of the case.",
        )),
        cases=cases,
    )
    with open(os.path.join(OUT_DIR, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)


def greedy(tok, model, ids, n_new):
    """Manual greedy loop: argmax over the full vocab (eos included), full-sequence
    forward pass each step, never stops early."""
    seq = list(ids)
    out, margins = [], []
    for _ in range(n_new):
        lg = full_logits(model, seq)[-1]
        top2 = np.argsort(-lg, kind="stable")[:2]
        nxt = int(top2[0])
        out.append(nxt)
        margins.append(float(lg[top2[0]] - lg[top2[1]]))
        seq.append(nxt)
    return out, margins


def make_greedy(tok, model, model_path, sha, sm_tok):
    results = []
    for name, kind, src in GREEDY_CASES:
        text = render_chat(tok, src) if kind == "chat" else src
        ids = tok.encode(text, add_special_tokens=False)
        sm_ids = sm_tok.encode(text, add_special_tokens=False).ids
        gen, margins = greedy(tok, model, ids, N_NEW)
        eog_pos = next((i for i, t in enumerate(gen) if t in EOG_IDS), None)
        eos_pos = next((i for i, t in enumerate(gen) if t == 2), None)
        until = gen if eog_pos is None else gen[:eog_pos]
        r = dict(
            name=name, kind=kind, prompt_text=text, prompt_ids=ids,
            prompt_ids_smollm_pretokenizer_equal=(sm_ids == ids),
            ids_48=gen,
            text_48=decode(tok, gen),
            first_eos_index=eos_pos,
            first_eog_index=eog_pos,
            ids_until_eos=until,
            text_until_eos=decode(tok, until),
            step_margins=[round(m, 5) for m in margins],
            min_margin=round(min(margins), 5),
        )
        if kind == "chat":
            r["messages"] = src
        results.append(r)
        print(f"[greedy {name}] eos@{eos_pos} min margin {min(margins):.4f}\n  {r['text_until_eos']!r}")
    doc = dict(
        meta=meta(model_path, sha, dict(
            n_new_tokens=N_NEW,
            method="manual greedy loop: at each step one full-sequence float32 forward pass "
                   "over prompt+generated ids, next id = argmax over all 49152 logits (ties -> "
                   "lowest id); eos/<|endoftext|> are NOT suppressed and generation continues "
                   "past them; no repetition penalty, no sampling.",
            eos_ids=EOG_IDS,
            note="ids_48: the 48 generated ids. first_eos_index: index in ids_48 of the first "
                 "<|im_end|> (id 2) or null. first_eog_index: first of <|endoftext|> (0) or "
                 "<|im_end|> (2). ids_until_eos / text_until_eos: generated ids/text before "
                 "first_eog_index (all 48 if none). step_margins[i]: top1 - top2 logit at "
                 "step i (small margins = fragile step). Chat prompts rendered with "
                 "tokenizer.apply_chat_template(messages, add_generation_prompt=True, "
                 "tokenize=False). Decoding: skip_special_tokens=False, "
                 "clean_up_tokenization_spaces=False.",
        )),
        cases=results,
    )
    with open(os.path.join(OUT_DIR, "greedy.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
    return results


def make_tokenizer_cases(tok, model_path, sha, sm_tok):
    special_strings = [t for t in tok.all_special_tokens] + [
        a.content for a in tok.backend_tokenizer.get_added_tokens_decoder().values()]
    special_strings = sorted(set(special_strings))
    out = []
    n_diff = 0
    for name, s in tokenizer_strings():
        ids = tok.encode(s, add_special_tokens=False)
        assert ids == tok(s, add_special_tokens=False).input_ids
        dec = decode(tok, ids)
        c = dict(name=name, text=s, ids=ids,
                 tokens=tok.convert_ids_to_tokens(ids),
                 decoded=dec, roundtrip=(dec == s))
        sm = sm_tok.encode(s, add_special_tokens=False).ids
        c["ids_smollm_pretokenizer"] = sm
        c["smollm_pretokenizer_differs"] = (sm != ids)
        n_diff += int(sm != ids)
        if any(sp in s for sp in special_strings):
            c["contains_special_token_text"] = True
            c["ids_split_special"] = tok(s, add_special_tokens=False,
                                         split_special_tokens=True).input_ids
        out.append(c)
    doc = dict(
        meta=meta(model_path, sha, dict(
            encode="tokenizer.encode(text, add_special_tokens=False) (identical to the default "
                   "call: the tokenizer adds no BOS/EOS)",
            decode="tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)",
            special_tokens_parsed_in_text=True,
            special_tokens=special_strings,
            pretokenizer_note=(
                "transformers builds the tokenizer from GGUF metadata with a plain GPT-2 ByteLevel "
                "pre-tokenizer and ignores tokenizer.ggml.pre='smollm'. The original SmolLM2 "
                "tokenizer.json (and llama.cpp's 'smollm' pre-type) first isolates every digit "
                "(Digits(individual_digits=True)) and then applies ByteLevel. The vocabulary has no "
                "token containing a digit plus anything else, so the two only differ when a run of "
                "2+ whitespace characters directly precedes a digit (GPT-2 regex attaches the last "
                "space to the digit, giving 'G','G' + '1' instead of 'GG' + '1'). "
                "ids_smollm_pretokenizer = same vocab/merges with the original pre-tokenizer "
                "(HF tokenizers library). smollm_pretokenizer_differs flags the cases."),
            n_cases=len(out), n_smollm_pretokenizer_differs=n_diff,
            ids_split_special="present for strings containing special-token text: ids when "
                              "special-token text is NOT parsed as specials (split_special_tokens=True)",
        )),
        cases=out,
    )
    with open(os.path.join(OUT_DIR, "tokenizer_cases.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
    print(f"tokenizer cases: {len(out)}, smollm pre-tokenizer differs on {n_diff}: "
          f"{[c['name'] for c in out if c['smollm_pretokenizer_differs']]}; "
          f"roundtrip failures: {[c['name'] for c in out if not c['roundtrip']]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--only", choices=["cases", "greedy", "tokenizer"], action="append")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    os.makedirs(OUT_DIR, exist_ok=True)
    sha = sha256_file(args.model)
    print("model sha256", sha)
    tok, model = load_model(args.model)
    print("tokenizer add_bos_token:", getattr(tok, "add_bos_token", None),
          "| 'Hi' ->", tok("Hi").input_ids)
    sm_tok = smollm_pretokenizer_variant(tok)
    todo = args.only or ["tokenizer", "cases", "greedy"]
    if "tokenizer" in todo:
        make_tokenizer_cases(tok, args.model, sha, sm_tok)
    if "cases" in todo:
        make_cases(tok, model, args.model, sha)
    if "greedy" in todo:
        res = make_greedy(tok, model, args.model, sha, sm_tok)
        fr = [r for r in res if r["name"] == "chat_france"][0]
        print("\nCapital of France reference answer:")
        print("  prompt:", repr(fr["prompt_text"]))
        print("  ids_48:", fr["ids_48"])
        print("  text_until_eos:", repr(fr["text_until_eos"]))


if __name__ == "__main__":
    main()
