#!/usr/bin/env bash
# README command 2: install what is missing, build with warnings as errors, run every test; then
# build the tests again with clang, AddressSanitizer + UndefinedBehaviorSanitizer, and run them there.
# Then the libFuzzer targets of that build run for a bounded time (scripts/fuzz.sh). SKIP_SANITIZERS=1 and
# SKIP_FUZZ=1 skip those stages (quicker local runs). First, the main job is built and run with every
# test-only package hidden from CMake, as on a fresh machine (SKIP_MINIMAL=1 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
jobs="$(nproc)"
# ccache keys on paths relative to the checkout, so another clone of the same tree (CI's) reuses
# what this one compiled.
export CCACHE_BASEDIR="$PWD"

# The README's first command on a machine without the test-only packages: configure and build the main
# job with each of them hidden from CMake, then run it. Tests, benches and peer checks must switch
# themselves off (one message each), never stop the configure.
if [[ "${SKIP_MINIMAL:-0}" != "1" ]]; then
  mkdir -p build-minimal
  hidden=()
  for package in Catch2 benchmark Torch Python3 Python dnnl OpenCL; do hidden+=("-DCMAKE_DISABLE_FIND_PACKAGE_$package=ON"); done
  cmake -S . -B build-minimal -DCMAKE_BUILD_TYPE=Release -DDAGRAD_WERROR=ON "${hidden[@]}" >build-minimal/configure.log 2>&1 ||
    { cat build-minimal/configure.log; echo "run-tests: the main job does not configure without the test-only packages"; exit 1; }
  grep -q "dagrad: tests off" build-minimal/configure.log ||
    { cat build-minimal/configure.log; echo "run-tests: no 'tests off' message with Catch2 hidden"; exit 1; }
  grep -q "dagrad: oneDNN off" build-minimal/configure.log ||
    { cat build-minimal/configure.log; echo "run-tests: no 'oneDNN off' message with dnnl hidden"; exit 1; }
  cmake --build build-minimal -j"$jobs" --target dagrad_cli
  build-minimal/apps/dagrad --repeats 1 --report-out build-minimal/out
  echo "run-tests: the main job builds and runs with the test-only packages hidden"
fi

# Every C++ file keeps .clang-format's style (clang-format 14, Debian 12's; format with
# `git ls-files '*.cpp' '*.hpp' | xargs clang-format -i`).
if command -v clang-format >/dev/null && [[ -d .git ]]; then
  git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror ||
    { echo "run-tests: files above are not formatted (.clang-format)"; exit 1; }
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDAGRAD_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

# One clang build with AddressSanitizer, UBSan and libFuzzer's coverage instrumentation serves both
# the sanitizer pass over every test and the fuzz targets, so the library is compiled once for both.
# -O1 with line tables (-g1): what ASan recommends, and file:line in every report.
sanitize_configure=(-S . -B build-sanitize -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo
                    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DDAGRAD_WERROR=ON
                    -DDAGRAD_SANITIZE=address,undefined,fuzzer-no-link -DDAGRAD_FUZZ=ON -DDAGRAD_BENCH=OFF)
if [[ "${SKIP_SANITIZERS:-0}" != "1" ]]; then
  cmake "${sanitize_configure[@]}" >/dev/null
  cmake --build build-sanitize -j"$jobs"
  # The package test installs and links an ordinary build, and the digits training runs repeat
  # op-table-covered kernels for minutes; neither adds findings under sanitizers.
  (cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j"$jobs" -E 'package_consumer|train_digits')
fi
# libFuzzer targets for a bounded time; SKIP_FUZZ=1 skips, FUZZ_SECONDS sets the time per target.
# They run from the sanitizer build (scripts/fuzz.sh makes its own when that stage was skipped).
if [[ "${SKIP_FUZZ:-0}" != "1" ]]; then
  if [[ "${SKIP_SANITIZERS:-0}" != "1" ]]; then
    FUZZ_BUILD=build-sanitize scripts/fuzz.sh "${FUZZ_SECONDS:-40}"
  else
    scripts/fuzz.sh "${FUZZ_SECONDS:-40}"
  fi
fi
echo "run-tests: all tests passed"
