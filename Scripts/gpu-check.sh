#!/usr/bin/env bash
# OpenCL backend check for a GPU machine that has a driver but no Swift toolchain, no Python and no network.
#
#   Scripts/gpu-check.sh prepare   here (Swift, python3 + gguf, the fetched model): builds static release
#                                  binaries, gathers the shared libraries they need, cuts a check model that
#                                  fits the transfer, records CPU-backend reference logits, and packs it all
#                                  into .gpu/ (git-ignored, < 60 MiB).
#   Scripts/gpu-check.sh run       there (or here, on PoCL): unpacks .gpu/, finds the OpenCL driver (writes an
#                                  ICD file for libnvidia-opencl.so.1 when it finds that library), lists the devices,
#                                  checks parity with the reference, benchmarks OpenCL and CPU, prints one
#                                  markdown table (also written to $OUT/gpu-check.md when $OUT is set).
#
# The check models (see Scripts/make-check-model.py): SmolLM2-135M-Instruct Q4_1 cut to its first N layers
# ("truncated", for parity) and the same N layers repeated to the full 30 ("repeated": the real model's shapes,
# types and cost per token, for the benchmark). Both are rebuilt from ~38 MB of pieces with `cat`.
#
# Environment: LLAMAKIT_MODEL (prepare: the source GGUF), CHECK_LAYERS (prepare: N, default 2),
# GPU_CHECK_BENCH (run: llama-bench arguments, default "-p 512 -n 128 -r 3"), GPU_CHECK_LOADER (run: "native" or
# "bundled"; default: bundled glibc only when the host's is older than the binaries need),
# GPU_CHECK_OPENCL_LIBRARY (run: the driver's ICD library, instead of searching for libnvidia-opencl.so.1),
# OUT (run: where to copy the table and logs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CARRY=.gpu               # what travels (git-ignored)
WORK=.build-gpu          # scratch on either machine (git-ignored, never carried)
BINARIES=(llama-bench opencl-check llama-logits llama-cli)
CLI_PROMPT="The three primary colors are"
CLI_TOKENS=24
LIMIT_MIB=60

die() { echo "gpu-check: $*" >&2; exit 1; }

prepare() {
    local model="${LLAMAKIT_MODEL:-$ROOT/.models/SmolLM2-135M-Instruct.Q4_1.gguf}" layers="${CHECK_LAYERS:-2}"
    [ -f "$model" ] || die "model $model not found (run make fetch)"
    command -v swift >/dev/null || die "swift not found"
    python3 -c 'import gguf' 2>/dev/null || die "python3 with gguf-py needed (pip install gguf)"
    local stage="$WORK/stage"
    rm -rf "$stage" "$CARRY"
    mkdir -p "$stage/bin" "$stage/lib/glibc" "$stage/lib/extra" "$stage/model" "$stage/reference" "$CARRY/boot"

    echo "== building static binaries (${BINARIES[*]})"
    for product in "${BINARIES[@]}"; do
        swift build -c release --static-swift-stdlib --scratch-path .build-static --product "$product" 2>&1 | tail -1
        cp .build-static/release/"$product" "$stage/bin/"
        strip "$stage/bin/$product"
    done

    echo "== gathering shared libraries"
    # glibc goes apart: it is used only when the host's is too old (run picks), everything else always.
    local glibc_names="ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1"
    for lib in $(ldd "$stage"/bin/* | awk '/=>/ {print $3} /ld-linux/ && !/=>/ {print $1}' | sort -u); do
        local name; name=$(basename "$lib")
        if [[ " $glibc_names " == *" $name "* ]]; then cp -L "$lib" "$stage/lib/glibc/"; else cp -L "$lib" "$stage/lib/extra/"; fi
    done
    # The driver's libraries may link the glibc companions the binaries do not (libpthread, libdl, librt).
    for name in $glibc_names; do
        [ -f "$stage/lib/glibc/$name" ] || cp -L "/lib/x86_64-linux-gnu/$name" "$stage/lib/glibc/" 2>/dev/null || true
    done
    [ -f "$stage/lib/glibc/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib/glibc/"
    # The newest glibc symbol version anything shipped needs: run compares it with the host's.
    objdump -T "$stage"/bin/* "$stage"/lib/extra/* 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' \
        | sort -uV | tail -1 > "$stage/lib/glibc-required"
    echo "   needs glibc $(cat "$stage/lib/glibc-required") (bundled: $(ls "$stage/lib/glibc" | tr '\n' ' '))"

    echo "== cutting the check models ($layers distinct layers)"
    python3 Scripts/make-check-model.py "$model" "$stage/model" "$layers"
    assemble "$stage/model" "$WORK"
    (cd "$WORK" && sha256sum truncated.gguf repeated.gguf) > "$stage/model/SHA256SUMS"

    echo "== recording CPU-backend references"
    local bin="$stage/bin"
    "$bin/opencl-check" record --model "$WORK/truncated.gguf" --out "$stage/reference/truncated"
    "$bin/opencl-check" record --model "$WORK/repeated.gguf" --out "$stage/reference/repeated"
    "$bin/llama-cli" --backend cpu --model "$WORK/truncated.gguf" --raw --prompt "$CLI_PROMPT" --temperature 0 \
        --max-tokens "$CLI_TOKENS" > "$stage/reference/cli.txt" 2>/dev/null
    ids=$(sed -n 's/.*"longIDs":\[\([0-9,]*\)\].*/\1/p' "$stage/reference/truncated/reference.json" | cut -d, -f1-16)
    echo "$ids" > "$stage/reference/logits-ids.txt"
    "$bin/llama-logits" --backend cpu --model "$WORK/truncated.gguf" --ids "$ids" --out "$stage/reference/logits.npy"

    echo "== packing $CARRY/"
    # One xz stream with a 64 MiB window: the static binaries share most of their bytes, so the later ones
    # cost little. xz itself travels uncompressed with the glibc it runs on, in case the host lacks it.
    tar -C "$stage" -cf - bin lib model reference | xz -9 -T1 > "$CARRY/bundle.tar.xz"
    cp -L "$(command -v xz)" "$CARRY/boot/"
    for lib in $(ldd "$(command -v xz)" | awk '/=>/ {print $3} /ld-linux/ && !/=>/ {print $1}'); do cp -L "$lib" "$CARRY/boot/"; done
    cat > "$CARRY/README" <<EOF
Prepared by Scripts/gpu-check.sh prepare on $(date -u +%Y-%m-%dT%H:%MZ) from commit $(git rev-parse --short HEAD).
Run on the GPU machine: Scripts/gpu-check.sh run
EOF
    local bytes; bytes=$(du -sb "$CARRY" | cut -f1)
    echo "   $CARRY/ is $((bytes / 1048576)) MiB"
    [ "$bytes" -le $((LIMIT_MIB * 1048576)) ] || die "$CARRY/ exceeds $LIMIT_MIB MiB"
}

# assemble PIECES DEST: DEST/truncated.gguf and DEST/repeated.gguf from the pieces.
assemble() {
    local pieces="$1" dest="$2" repeats
    repeats=$(cat "$pieces/repeats")
    cat "$pieces/head-truncated.bin" "$pieces/embd.bin" "$pieces/block.bin" > "$dest/truncated.gguf"
    { cat "$pieces/head.bin" "$pieces/embd.bin"; for _ in $(seq "$repeats"); do cat "$pieces/block.bin"; done; } > "$dest/repeated.gguf"
}

run() {
    [ -f "$CARRY/bundle.tar.xz" ] || die "$CARRY/bundle.tar.xz missing: run 'Scripts/gpu-check.sh prepare' on the build machine"
    local work="$WORK/run" started=$SECONDS
    rm -rf "$work"
    mkdir -p "$work"
    if command -v xz >/dev/null; then
        xz -dc "$CARRY/bundle.tar.xz" | tar -C "$work" -xf -
    else
        "$CARRY/boot/ld-linux-x86-64.so.2" --library-path "$CARRY/boot" "$CARRY/boot/xz" -dc "$CARRY/bundle.tar.xz" | tar -C "$work" -xf -
    fi
    assemble "$work/model" "$work"
    if command -v sha256sum >/dev/null; then (cd "$work" && sha256sum -c --quiet model/SHA256SUMS) || die "check models corrupt"; fi
    work=$(cd "$work" && pwd)

    # Host glibc at least what the binaries need: run them natively; else through the bundled loader and glibc.
    local host required mode="${GPU_CHECK_LOADER:-}"
    host=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
    required=$(cat "$work/lib/glibc-required")
    if [ -z "$mode" ]; then
        if [ -n "$host" ] && [ "$(printf '%s\n%s\n' "$required" "$host" | sort -V | head -1)" = "$required" ]; then mode=native; else mode=bundled; fi
    fi
    launch() { # launch BINARY ARGS...
        local bin="$work/bin/$1"; shift
        if [ "$mode" = native ]; then
            LD_LIBRARY_PATH="$work/lib/extra${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$bin" "$@"
        else
            "$work/lib/glibc/ld-linux-x86-64.so.2" --library-path "$work/lib/glibc:$work/lib/extra" "$bin" "$@"
        fi
    }

    # The OpenCL driver. NVIDIA's lives in libnvidia-opencl.so.1, which the container runtime mounts without
    # always registering it (or registers it by bare name, which the bundled loader may not resolve): when the
    # library is found, a private vendors directory names it by absolute path; else the registered ICDs serve.
    local icd_note="registered ICDs (/etc/OpenCL/vendors: $(ls /etc/OpenCL/vendors 2>/dev/null | tr '\n' ' '))" found=""
    found="${GPU_CHECK_OPENCL_LIBRARY:-}"
    [ -n "$found" ] || found=$(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so\.1/ {print $NF; exit}')
    for dir in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib /usr/local/cuda/lib64 /usr/local/cuda/compat; do
        [ -n "$found" ] && break
        [ -e "$dir/libnvidia-opencl.so.1" ] && found="$dir/libnvidia-opencl.so.1"
    done
    if [ -z "$found" ] && ! ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
        found=$(timeout 60 find / -xdev \( -path /proc -o -path /sys \) -prune -o -name 'libnvidia-opencl.so*' -print 2>/dev/null | head -1 || true)
    fi
    if [ -n "$found" ]; then
        mkdir -p "$work/icd"
        echo "$found" > "$work/icd/driver.icd"
        export OCL_ICD_VENDORS="$work/icd"
        icd_note="wrote $work/icd/driver.icd -> $found"
    elif ! ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
        icd_note="no ICD registered and no libnvidia-opencl.so found"
    fi
    export LLAMAKIT_OPENCL_CACHE="$work/opencl-cache"
    local threads; threads=$(nproc 2>/dev/null || echo 4)
    local log="$work/log.txt" table="$work/gpu-check.md" status=0
    : > "$log"

    echo "gpu-check: loader $mode (host glibc ${host:-unknown}, binaries need $required); OpenCL: $icd_note" | tee -a "$log"
    echo "== devices" | tee -a "$log"
    launch opencl-check devices 2>&1 | tee -a "$log" || status=1

    local rows="$work/rows.md"
    : > "$rows"
    echo "== parity" | tee -a "$log"
    for m in truncated repeated; do
        if ! launch opencl-check parity --model "$work/$m.gguf" --reference "$work/reference/$m" --threads "$threads" \
                > "$work/parity-$m.md" 2>> "$log"; then
            status=1
            echo "| parity ($m) | opencl | FAILED (see log) |" >> "$work/parity-$m.md"
        fi
        sed "s/^| /| $m: /" "$work/parity-$m.md" >> "$rows"
    done

    echo "== llama-logits and llama-cli with --backend opencl" | tee -a "$log"
    local ids; ids=$(cat "$work/reference/logits-ids.txt")
    if launch llama-logits --backend opencl --model "$work/truncated.gguf" --ids "$ids" --out "$work/logits.npy" 2>> "$log"; then
        local compared; compared=$(launch opencl-check compare "$work/logits.npy" "$work/reference/logits.npy")
        echo "| truncated: llama-logits --backend opencl vs CPU reference (max abs, argmax) | opencl | $compared |" >> "$rows"
    else
        status=1; echo "| truncated: llama-logits --backend opencl | opencl | FAILED (see log) |" >> "$rows"
    fi
    launch llama-cli --backend opencl --model "$work/truncated.gguf" --raw --prompt "$CLI_PROMPT" --temperature 0 \
        --max-tokens "$CLI_TOKENS" > "$work/cli.txt" 2>> "$log" || status=1
    if cmp -s "$work/cli.txt" "$work/reference/cli.txt"; then
        echo "| truncated: llama-cli --backend opencl greedy text ($CLI_TOKENS tokens) | opencl | identical to CPU reference |" >> "$rows"
    else
        status=1; echo "| truncated: llama-cli --backend opencl greedy text | opencl | DIFFERS (see log) |" >> "$rows"
        { echo "cli (opencl):"; cat "$work/cli.txt"; echo "cli (reference):"; cat "$work/reference/cli.txt"; } >> "$log"
    fi

    echo "== llama-bench ${GPU_CHECK_BENCH:--p 512 -n 128 -r 3} on the repeated (full-size) model" | tee -a "$log"
    local backend
    for backend in opencl cpu; do
        # shellcheck disable=SC2086
        if launch llama-bench -m "$work/repeated.gguf" --backend "$backend" -t "$threads" ${GPU_CHECK_BENCH:--p 512 -n 128 -r 3} \
                > "$work/bench-$backend.md" 2>> "$log"; then
            grep -E '^\| .* \| (pp|tg)[0-9]+ \|' "$work/bench-$backend.md" \
                | awk -F'|' -v b="$backend" -v t="$threads" '{gsub(/ /,"",$5); gsub(/^ +| +$/,"",$6); printf "| repeated: llama-bench %s | %s%s | %s t/s |\n", $5, b, (b=="cpu" ? " (" t " threads)" : ""), $6}' >> "$rows"
        else
            status=1; echo "| llama-bench | $backend | FAILED (see log) |" >> "$rows"
        fi
    done

    {
        echo "| check | backend / device | result |"
        echo "| --- | --- | --- |"
        cat "$rows"
    } > "$table"
    echo
    cat "$table"
    echo
    echo "gpu-check: $( [ $status -eq 0 ] && echo passed || echo FAILED ) in $((SECONDS - started)) s (loader $mode)"
    if [ -n "${OUT:-}" ]; then cp "$table" "$log" "$work"/parity-*.md "$work"/bench-*.md "$OUT/" 2>/dev/null || true; fi
    return $status
}

case "${1:-}" in
    prepare) prepare ;;
    run) run ;;
    *) echo "usage: $0 prepare|run" >&2; exit 2 ;;
esac
