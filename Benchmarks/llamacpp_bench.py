#!/usr/bin/env python3
"""Times llama.cpp (through llama-cpp-python) the way our llama-bench times LlamaKit, for side-by-side reports.

pp: one batch of P random token ids into an empty KV cache; tg: N single-token decode steps from an empty cache
(greedy over the returned logits). One warm-up, then R timed repetitions; prints mean ± sd tokens/s.
Usage: python3 Benchmarks/llamacpp_bench.py --model .models/SmolLM2-135M-Instruct.Q4_1.gguf -p 512 -n 128 -t 2 -r 5
Needs: pip install llama-cpp-python (not used by CI).
"""
import argparse, json, statistics, time
import numpy as np
import llama_cpp

ap = argparse.ArgumentParser()
ap.add_argument("--model", required=True)
ap.add_argument("-p", type=int, default=512)
ap.add_argument("-n", type=int, default=128)
ap.add_argument("-t", type=int, default=2)
ap.add_argument("-r", type=int, default=5)
ap.add_argument("-o", default="md")
a = ap.parse_args()

llm = llama_cpp.Llama(model_path=a.model, n_ctx=max(a.p, a.n + 1, 16) + 16, n_batch=max(a.p, 1), n_ubatch=max(a.p, 1),
                      n_threads=a.t, n_threads_batch=a.t, logits_all=False, verbose=False)
rng = np.random.default_rng(1)
prompt = [int(i) for i in rng.integers(0, llm.n_vocab(), size=max(a.p, 1))]

def pp():
    llm.reset(); llm._ctx.kv_cache_clear() if hasattr(llm._ctx, "kv_cache_clear") else None
    t = time.perf_counter(); llm.eval(prompt); return a.p / (time.perf_counter() - t)

def tg():
    llm.reset(); llm._ctx.kv_cache_clear() if hasattr(llm._ctx, "kv_cache_clear") else None
    tok = prompt[0]
    t = time.perf_counter()
    for _ in range(a.n):
        llm.eval([tok])
        tok = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    return a.n / (time.perf_counter() - t)

records = []
for name, fn, n_p, n_g in (("pp", pp, a.p, 0), ("tg", tg, 0, a.n)):
    if (n_p or n_g) == 0: continue
    fn()
    samples = [fn() for _ in range(a.r)]
    records.append(dict(n_prompt=n_p, n_gen=n_g, n_threads=a.t, avg_ts=statistics.mean(samples),
                        stddev_ts=statistics.stdev(samples) if len(samples) > 1 else 0.0, backend="llama.cpp " + llama_cpp.__version__))
if a.o == "json":
    print(json.dumps(records, indent=2))
else:
    for r in records:
        test = f"pp{r['n_prompt']}" if r["n_prompt"] else f"tg{r['n_gen']}"
        print(f"| llama.cpp (llama-cpp-python {llama_cpp.__version__}) | {r['n_threads']} | {test} | {r['avg_ts']:.2f} ± {r['stddev_ts']:.2f} |")
