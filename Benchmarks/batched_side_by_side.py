#!/usr/bin/env python3
"""Runs LlamaKit's llama-batched-bench and llama.cpp's llama-batched-bench side by side and prints the ratios.

Both tools take the same flags and print the same JSONL fields; each -npl value runs as its own pair of
processes, the two engines alternating, so a change in the machine's speed hits both alike.
Usage:
  python3 Benchmarks/batched_side_by_side.py --llamacpp PATH/TO/llama-batched-bench \\
      -m .models/SmolLM2-135M-Instruct.Q4_1.gguf -npp 128 -ntg 128 -npl 1,2,4,8,16 -t 2 [--rounds 2] [--int8]
(llama.cpp is built outside this repository; nothing here builds it.)
"""
import argparse, json, statistics, subprocess

ap = argparse.ArgumentParser()
ap.add_argument("--llamacpp", required=True, help="llama.cpp's llama-batched-bench binary")
ap.add_argument("--ours", default=".build/release/llama-batched-bench")
ap.add_argument("-m", required=True)
ap.add_argument("-npp", default="128")
ap.add_argument("-ntg", default="128")
ap.add_argument("-npl", default="1,2,4,8,16")
ap.add_argument("-t", default="2")
ap.add_argument("-c", default="8192")
ap.add_argument("--rounds", type=int, default=2)
ap.add_argument("--int8", action="store_true", help="LlamaKit's --activations int8 (llama.cpp always rounds activations to 8 bits)")
a = ap.parse_args()

def run(binary, npl, ours):
    cmd = [binary, "-m", a.m, "-c", a.c, "-b", "2048", "-ub", "512", "-npp", a.npp, "-ntg", a.ntg, "-npl", npl,
           "-t", a.t, "--output-format", "jsonl"]
    if ours and a.int8:
        cmd += ["--activations", "int8"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

results = {}
for round in range(a.rounds):
    for npl in a.npl.split(","):
        for name, binary in (("llama.cpp", a.llamacpp), ("LlamaKit", a.ours)):
            for row in run(binary, npl, name == "LlamaKit"):
                key = (row["pp"], row["tg"], row["pl"])
                results.setdefault(key, {}).setdefault(name, []).append(row)

print("| PP | TG | B | llama.cpp S_TG t/s | LlamaKit S_TG t/s | ratio | llama.cpp S_PP t/s | LlamaKit S_PP t/s | ratio |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for key in sorted(results):
    r = results[key]
    def mean(name, field):
        return statistics.mean(row[field] for row in r[name])
    tg_c, tg_l = mean("llama.cpp", "speed_tg"), mean("LlamaKit", "speed_tg")
    pp_c, pp_l = mean("llama.cpp", "speed_pp"), mean("LlamaKit", "speed_pp")
    print(f"| {key[0]} | {key[1]} | {key[2]} | {tg_c:.1f} | {tg_l:.1f} | {tg_l / tg_c:.2f}x | {pp_c:.1f} | {pp_l:.1f} | {pp_l / pp_c:.2f}x |")
