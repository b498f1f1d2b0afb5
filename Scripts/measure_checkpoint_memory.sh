#!/usr/bin/env bash
# Peak resident memory of loading a checkpoint folder and evaluating 8 tokens (llama-logits), as stored
# and quantized on load, next to the folder's weight bytes. Usage (after swift build -c release):
#   Scripts/measure_checkpoint_memory.sh .models/SmolLM2-135M-Instruct-hf
set -euo pipefail
folder=${1:?usage: $0 FOLDER}
bin=.build/release/llama-logits
weights=$(cat "$folder"/*.safetensors | wc -c)
echo "weights (safetensors files): $((weights / 1000)) kB"
for q in "" q8_0 q4_0; do
    args=(--model "$folder" --ids 1,2,3,4,5,6,7,8 --out /tmp/llamakit-memory.npy)
    [ -n "$q" ] && args+=(--quantize "$q")
    rss=$(/usr/bin/time -v "$bin" "${args[@]}" 2>&1 | awk -F': ' '/Maximum resident/ {print $2}')
    echo "${q:-stored}: max RSS ${rss} kB ($(awk "BEGIN {printf \"%.2f\", $rss * 1000 / $weights}") x weights)"
done
