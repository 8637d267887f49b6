#!/usr/bin/env bash
# README command 2: install what is missing, build with warnings as errors, run every test; then
# build the tests again with AddressSanitizer + UndefinedBehaviorSanitizer and run them there.
# SKIP_SANITIZERS=1 skips the second build (quicker local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
jobs="$(nproc)"

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDAGRAD_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

if [[ "${SKIP_SANITIZERS:-0}" != "1" ]]; then
  cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDAGRAD_WERROR=ON \
        -DDAGRAD_SANITIZE=address,undefined -DDAGRAD_BENCH=OFF >/dev/null
  cmake --build build-sanitize -j"$jobs"
  # The package test installs and links an ordinary build, and the digits training runs repeat
  # op-table-covered kernels for minutes; neither adds findings under sanitizers.
  (cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j"$jobs" -E 'package_consumer|train_digits')
fi
echo "run-tests: all tests passed"
