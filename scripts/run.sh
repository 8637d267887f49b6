#!/usr/bin/env bash
# README command 1: install what is missing, build (Release), run the main job (dagrad with no
# arguments: the report with the cost table, the Clarke example and quick studies under out/).
# Extra arguments go to dagrad (see: build/apps/dagrad --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target dagrad_cli
build/apps/dagrad "$@"
