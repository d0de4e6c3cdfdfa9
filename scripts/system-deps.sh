#!/usr/bin/env bash
# System packages the tests need on Debian/Ubuntu: Mesa's EGL and llvmpipe
# (Dawn in Node on a machine without a GPU), Chromium (the browser tests) and
# Fashion-MNIST (the search evaluator example, examples/fashion-mnist).
# Installs only what is missing; uses sudo when not root.
set -euo pipefail
packages=(libegl-mesa0 libgl1-mesa-dri chromium dataset-fashion-mnist)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ "${#missing[@]}" -eq 0 ] && exit 0
sudo_=""
[ "$(id -u)" -eq 0 ] || sudo_="sudo"
$sudo_ apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}"
