#!/usr/bin/env bash
# Installs the system packages LlamaKit builds and tests with (Debian/Ubuntu), only those missing.
set -euo pipefail
packages=(libopenblas-dev ocl-icd-opencl-dev opencl-headers pocl-opencl-icd pkg-config)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
