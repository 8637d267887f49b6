#!/usr/bin/env bash
# README command 2: install what is missing, build with warnings as errors, run every test; then
# build the tests again with AddressSanitizer + UndefinedBehaviorSanitizer and run them there.
# Then the libFuzzer targets run for a bounded time (scripts/fuzz.sh). SKIP_SANITIZERS=1 and
# SKIP_FUZZ=1 skip those stages (quicker local runs).
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
# libFuzzer targets (clang) for a bounded time; SKIP_FUZZ=1 skips, FUZZ_SECONDS sets the time per target.
if [[ "${SKIP_FUZZ:-0}" != "1" ]]; then
  scripts/fuzz.sh "${FUZZ_SECONDS:-40}"
fi
echo "run-tests: all tests passed"
