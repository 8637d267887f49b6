#!/usr/bin/env bash
# Installs, with apt, whatever dagrad needs that this Debian 12 machine lacks; with nothing
# missing it only queries dpkg. --test adds what the test suite needs (PyTorch for the peer check).
set -euo pipefail

packages=(
  cmake make g++ pkg-config          # toolchain
  libxtensor-dev libxtensor-blas-dev # tensors; xtensor-blas wraps BLAS/LAPACK
  libopenblas-dev liblapack-dev      # BLAS (gemm/gemv) and LAPACK (QR for orthogonal init)
  libboost-graph-dev                 # the DAG, topological sort, reachability, Graphviz output
  zlib1g-dev                         # gzip-compressed CSV data sets; CRC-32 of checkpoint files
  nlohmann-json3-dev                 # checkpoint manifests (and the peer tests' reference files)
  python3-sklearn                    # its bundled data sets (digits, iris, wine, breast cancer)
  gnuplot-nox                        # loss/accuracy plots of dagrad train
  libcli11-dev libfmt-dev            # the dagrad command line
  libdnnl-dev                        # optional (found -> on): oneDNN's float32/bfloat16 convolutions and
                                     # bfloat16 GEMMs, the library LibTorch calls for them; without it
                                     # those ops run dagrad's own im2col + sgemm kernels, several times slower
  ocl-icd-opencl-dev                 # OpenCL headers: Debian's oneDNN CMake package requires them (it is
                                     # built with the OpenCL GPU runtime); only a Recommends of libdnnl-dev
)
# Test-only: configuring and building the main job never needs these (CI checks it with them hidden).
test_packages=(
  catch2                             # tests (v2, catch2/catch.hpp)
  libbenchmark-dev                   # bench/ (Google Benchmark)
  python3 python3-numpy python3-torch # PyTorch 1.13 computes peer reference values at test time
  libtorch-dev                       # LibTorch 1.13 for bench_torch and its equality check (peer test)
  clang libclang-rt-14-dev           # the sanitizer pass and the libFuzzer targets: clang 14 and its runtimes
  clang-format                       # the test command checks that the C++ tree keeps .clang-format's style
  ccache                             # the test command builds the library twice with one set of flags
                                     # (build-minimal/, then build/): the second build takes it from the cache
)
[[ "${1:-}" == "--test" ]] && packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
