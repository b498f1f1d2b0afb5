#!/usr/bin/env python3
"""Compare llama.cpp (and optionally LlamaKit's `llama-logits` output) with the
transformers reference fixtures.  Prints markdown tables; writes NO golden files.

What it does
------------
For every case in Tests/Fixtures/smollm2/cases.json it evaluates the stored ids with
llama-cpp-python (Llama(model_path, logits_all=True, n_ctx=512, n_threads=2)) and reports,
against the transformers float32 reference:
  * max |diff| of logits over the stored random 4096-id subset and over the reference
    top-64 ids, and |diff| of the full-vocab logsumexp
  * mean KL(reference || candidate) over the stored positions, on the full vocab.
    The reference full logits are recomputed with transformers if torch/transformers are
    importable ("KL: exact"); otherwise KL is approximated on the stored subset+top-64
    ids using the stored reference logsumexp ("KL: approx", missing ids contribute 0;
    tiny values can come out slightly negative).
  * argmax agreement (candidate argmax over its full vocab vs the reference argmax).
It also (informational) compares llama.cpp's tokenizer with tokenizer_cases.json and
llama.cpp's greedy continuations with greedy.json.

`--ours FILE.npy --case NAME` (repeatable, pairs in order) adds rows for logits written
by LlamaKit's `llama-logits`: a float32 .npy of shape [n_positions, vocab] (every position
of the case's ids; only the stored positions are compared) or [vocab] (= last position).
Use `--skip-llamacpp` to only evaluate those files.

How to run
----------
  HF_HUB_OFFLINE=1 python3 Tests/Fixtures/compare_llamacpp.py [--model PATH] [--approx-kl]
      (--model .models/SmolLM2-135M-Instruct.F32.gguf, written by make_quantized_models.py,
       holds exactly the dequantized Q4_1 weights, so llama.cpp on it should agree with
       the reference to ~1e-4: a check that the reference and the fixtures are sound.)
  HF_HUB_OFFLINE=1 python3 Tests/Fixtures/compare_llamacpp.py --skip-llamacpp \
        --ours /tmp/long.npy --case long --ours /tmp/p3.npy --case p3
Dependencies: numpy, llama-cpp-python (for the llama.cpp rows); torch+transformers+accelerate
for exact KL (optional).
"""
import argparse
import json
import os
import sys

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_MODEL = os.path.join(REPO, ".models", "SmolLM2-135M-Instruct.Q4_1.gguf")
FIX = os.path.join(HERE, "smollm2")


def log_softmax(a):
    a = np.asarray(a, dtype=np.float64)
    mx = a.max(axis=-1, keepdims=True)
    return a - (mx + np.log(np.exp(a - mx).sum(axis=-1, keepdims=True)))


def lse(a):
    a = np.asarray(a, dtype=np.float64)
    mx = a.max(axis=-1, keepdims=True)
    return mx[..., 0] + np.log(np.exp(a - mx).sum(axis=-1))


class Reference:
    def __init__(self, approx_kl, model_path):
        self.doc = json.load(open(os.path.join(FIX, "cases.json"), encoding="utf-8"))
        self.cases = {c["name"]: c for c in self.doc["cases"]}
        self.subset = np.load(os.path.join(FIX, "subset_ids.npy"))
        self.arr = {}
        for c in self.doc["cases"]:
            p = c["file_prefix"]
            if p not in self.arr:
                self.arr[p] = {k: np.load(os.path.join(FIX, f"{p}_{k}.npy"))
                               for k in ("subset", "top_ids", "top_logits", "argmax", "lse")}
        self.full = {}
        self.kl_mode = "approx"
        if not approx_kl:
            try:
                self._load_full(model_path)
                self.kl_mode = "exact"
            except Exception as e:  # torch/transformers missing or failing
                print(f"[info] exact KL unavailable ({type(e).__name__}: {e}); using approximation",
                      file=sys.stderr)

    def _load_full(self, model_path):
        import torch
        from transformers import AutoModelForCausalLM
        torch.set_num_threads(2)
        d, name = os.path.split(os.path.abspath(model_path))
        kw = dict(gguf_file=name, attn_implementation="eager")
        try:
            m = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, **kw)
        except TypeError:
            m = AutoModelForCausalLM.from_pretrained(d, torch_dtype=torch.float32, **kw)
        m.eval()
        with torch.no_grad():
            for name_, c in self.cases.items():
                lg = m(input_ids=torch.tensor([c["ids"]]), use_cache=False).logits[0].float().numpy()
                self.full[name_] = lg[c["positions"]]
                # sanity: recomputed reference must match the stored fixture
                A = self.rows(name_)
                d_ = np.abs(self.full[name_][:, self.subset] - A["subset"]).max()
                if d_ > 1e-3:
                    raise RuntimeError(f"recomputed reference differs from fixture for {name_}: {d_}")

    def rows(self, name):
        c = self.cases[name]
        A = self.arr[c["file_prefix"]]
        r0, n = c["row_offset"], len(c["positions"])
        return {k: v[r0:r0 + n] for k, v in A.items()}

    def metrics(self, name, cand):
        """cand: float logits [n_stored_positions, vocab] aligned with case positions."""
        A = self.rows(name)
        cand = np.asarray(cand, dtype=np.float64)
        d_sub = np.abs(cand[:, self.subset] - A["subset"]).max()
        d_top = np.abs(np.take_along_axis(cand, A["top_ids"].astype(np.int64), 1) - A["top_logits"]).max()
        d_lse = np.abs(lse(cand) - A["lse"]).max()
        agree = (np.argmax(cand, axis=-1) == A["argmax"]).mean()
        lq = log_softmax(cand)
        if self.kl_mode == "exact":
            lp = log_softmax(self.full[name])
            kl = (np.exp(lp) * (lp - lq)).sum(axis=-1)
        else:
            kls = []
            for j in range(cand.shape[0]):
                ids = np.unique(np.concatenate([self.subset, A["top_ids"][j]]))
                ref = np.empty(len(ids))
                # reference logits at those ids: from top-64 where present, else subset
                pos_sub = {int(t): i for i, t in enumerate(self.subset)}
                pos_top = {int(t): i for i, t in enumerate(A["top_ids"][j])}
                for i, t in enumerate(ids):
                    t = int(t)
                    ref[i] = A["top_logits"][j][pos_top[t]] if t in pos_top else A["subset"][j][pos_sub[t]]
                lp = ref - A["lse"][j]
                kls.append((np.exp(lp) * (lp - lq[j, ids])).sum())
            kl = np.array(kls)
        return dict(n=cand.shape[0], d_sub=d_sub, d_top=d_top, d_lse=d_lse, kl=kl.mean(),
                    kl_max=kl.max(), agree=agree)


def llamacpp_logits(llm, ids, positions):
    llm.reset()
    llm.eval(ids)
    sc = np.array(llm.scores[:len(ids)], dtype=np.float32)
    return sc[positions]


def print_table(rows, kl_mode):
    print(f"\n| impl | case | positions | max abs diff subset | max abs diff top-64 | abs diff lse | "
          f"mean KL (ref‖impl, {kl_mode}) | max KL | argmax agree |")
    print("|---|---|---|---|---|---|---|---|---|")
    for impl, name, m in rows:
        print(f"| {impl} | {name} | {m['n']} | {m['d_sub']:.2e} | {m['d_top']:.2e} | {m['d_lse']:.2e} | "
              f"{m['kl']:.2e} | {m['kl_max']:.2e} | {m['agree']:.3f} |")
    impls = sorted(set(r[0] for r in rows))
    if len(rows) > 1:
        print("\n| impl | cases | positions | max abs diff subset | max abs diff top-64 | "
              "mean KL (per position) | argmax agree |")
        print("|---|---|---|---|---|---|---|")
        for impl in impls:
            rs = [m for i, _, m in rows if i == impl]
            npos = sum(m["n"] for m in rs)
            kl = sum(m["kl"] * m["n"] for m in rs) / npos
            ag = sum(m["agree"] * m["n"] for m in rs) / npos
            print(f"| {impl} | {len(rs)} | {npos} | {max(m['d_sub'] for m in rs):.2e} | "
                  f"{max(m['d_top'] for m in rs):.2e} | {kl:.2e} | {ag:.3f} |")


def check_tokenizer(llm):
    doc = json.load(open(os.path.join(FIX, "tokenizer_cases.json"), encoding="utf-8"))
    n = same_hf = same_sm = 0
    diffs = []
    for c in doc["cases"]:
        if c["text"] == "":
            got = []
        else:
            got = llm.tokenize(c["text"].encode("utf-8"), add_bos=False, special=True)
        n += 1
        same_hf += int(got == c["ids"])
        same_sm += int(got == c["ids_smollm_pretokenizer"])
        if got != c["ids_smollm_pretokenizer"] or got != c["ids"]:
            diffs.append((c["name"], got == c["ids"], got == c["ids_smollm_pretokenizer"]))
    print(f"\n[tokenizer] llama.cpp (parse specials) == transformers ids: {same_hf}/{n}; "
          f"== ids_smollm_pretokenizer: {same_sm}/{n}")
    for name, a, b in diffs:
        print(f"   {name}: equals transformers={a} equals smollm-pretokenizer={b}")


def check_greedy(llm):
    doc = json.load(open(os.path.join(FIX, "greedy.json"), encoding="utf-8"))
    print("\n[greedy] llama.cpp manual greedy (argmax, eos not stopped) vs reference ids_48")
    print("| case | first divergence (index or none) | reference min margin | llama.cpp text until eos == reference |")
    print("|---|---|---|---|")
    eog = set(doc["meta"]["eos_ids"])
    for c in doc["cases"]:
        llm.reset()
        llm.eval(c["prompt_ids"])
        gen = []
        for _ in range(len(c["ids_48"])):
            t = int(np.argmax(llm.scores[llm.n_tokens - 1]))
            gen.append(t)
            llm.eval([t])
        div = next((i for i, (a, b) in enumerate(zip(gen, c["ids_48"])) if a != b), None)
        k = next((i for i, t in enumerate(gen) if t in eog), len(gen))
        same_until = gen[:k] == c["ids_until_eos"]
        print(f"| {c['name']} | {div if div is not None else 'none'} | {c['min_margin']} | {same_until} |")


def main():
    ap = argparse.ArgumentParser(description="llama.cpp / LlamaKit vs transformers reference")
    ap.add_argument("--model", default=DEFAULT_MODEL, help="GGUF that llama.cpp evaluates")
    ap.add_argument("--ref-model", default=DEFAULT_MODEL,
                    help="GGUF the fixtures were made from (used to recompute exact KL)")
    ap.add_argument("--approx-kl", action="store_true", help="do not rerun transformers; approximate KL")
    ap.add_argument("--skip-llamacpp", action="store_true")
    ap.add_argument("--kv-f32", action="store_true",
                    help="llama.cpp KV cache in F32 instead of its default F16")
    ap.add_argument("--ours", action="append", default=[], help="float32 .npy from llama-logits")
    ap.add_argument("--case", action="append", default=[], help="case name for each --ours")
    ap.add_argument("--ours-label", default="LlamaKit")
    ap.add_argument("--no-extras", action="store_true", help="skip tokenizer/greedy checks")
    args = ap.parse_args()
    if len(args.ours) != len(args.case):
        ap.error("--ours and --case must be given in pairs")

    ref = Reference(args.approx_kl, args.ref_model)
    rows = []
    if not args.skip_llamacpp:
        from llama_cpp import Llama
        import llama_cpp
        extra = {}
        if args.kv_f32:
            extra = dict(type_k=llama_cpp.GGML_TYPE_F32, type_v=llama_cpp.GGML_TYPE_F32)
        llm = Llama(args.model, logits_all=True, n_ctx=512, n_threads=2, n_batch=512,
                    verbose=False, **extra)
        label = (f"llama.cpp (llama-cpp-python {llama_cpp.__version__}, "
                 f"{os.path.basename(args.model)}, KV {'F32' if args.kv_f32 else 'F16'})")
        for name, c in ref.cases.items():
            rows.append((label, name, ref.metrics(name, llamacpp_logits(llm, c["ids"], c["positions"]))))
    for path, name in zip(args.ours, args.case):
        if name not in ref.cases:
            ap.error(f"unknown case {name}; have {list(ref.cases)}")
        c = ref.cases[name]
        a = np.load(path).astype(np.float32)
        if a.ndim == 1:
            if c["positions"] != [len(c["ids"]) - 1]:
                ap.error(f"{path}: [vocab] logits given but case {name} stores positions {c['positions']}")
            a = a[None, :]
        elif a.shape[0] == len(c["ids"]):
            a = a[c["positions"]]
        elif a.shape[0] != len(c["positions"]):
            ap.error(f"{path}: shape {a.shape} does not match case {name} "
                     f"({len(c['ids'])} ids, {len(c['positions'])} stored positions)")
        rows.append((args.ours_label, name, ref.metrics(name, a)))
    print_table(rows, ref.kl_mode)
    if not args.skip_llamacpp and not args.no_extras:
        check_tokenizer(llm)
        check_greedy(llm)


if __name__ == "__main__":
    main()
