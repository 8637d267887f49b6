#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, AddressSanitizer and UBSan, and runs each for
# SECONDS (default 40) from the seed corpus in tests/fuzz/corpus. A crash, leak or sanitizer finding
# fails the run and leaves the input under build-fuzz/artifacts/ (add it to the corpus and a test).
# Long campaign: scripts/fuzz.sh 3600   (the corpus grows under build-fuzz/corpus/ between runs).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-40}"
# FUZZ_BUILD names a build that already has the targets (the test command's sanitizer build);
# without it they are built in build-fuzz/.
build="${FUZZ_BUILD:-build-fuzz}"
if [[ -z "${FUZZ_BUILD:-}" ]]; then
  cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
        -DDAGRAD_FUZZ=ON -DDAGRAD_SANITIZE=address,undefined,fuzzer-no-link \
        -DDAGRAD_TESTS=OFF -DDAGRAD_BENCH=OFF -DDAGRAD_APPS=ON >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target fuzz_data fuzz_checkpoint fuzz_cli
mkdir -p build-fuzz/artifacts
for target in fuzz_data fuzz_checkpoint fuzz_cli; do
  corpus="build-fuzz/corpus/${target#fuzz_}"
  mkdir -p "$corpus"
  echo "fuzz: $target for ${seconds}s"
  log="build-fuzz/$target.log"
  dict=""
  if [[ -f "tests/fuzz/${target#fuzz_}.dict" ]]; then dict="-dict=tests/fuzz/${target#fuzz_}.dict"; fi
  status=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/tests/fuzz/$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix=build-fuzz/artifacts/ -print_final_stats=1 ${dict:+"$dict"} "$corpus" "tests/fuzz/corpus/${target#fuzz_}" \
      >"$log" 2>&1 || status=$?
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|ERROR|SUMMARY|artifact" "$log" || true
  if [[ "$status" != "0" ]]; then
    tail -n 60 "$log"
    echo "fuzz: $target found a failure (input under build-fuzz/artifacts/)"
    exit 1
  fi
done
echo "fuzz: no findings"
