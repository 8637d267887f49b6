#pragma once
// Optional oneDNN kernels: float32 and bfloat16 convolutions, bfloat16 matrix products. Built when
// CMake finds Debian's libdnnl-dev (the oneDNN 2.6 that LibTorch 1.13 itself calls for these ops;
// -DDAGRAD_ONEDNN=OFF leaves it out). Without it, or switched off, the ops run their im2col + sgemm
// kernels. Why: one image's im2col + sgemm keeps a 3 x 3 convolution on small images at ~40% of
// sgemm's rate (the im2col copy costs as much as the product), and Debian's OpenBLAS has no bfloat16
// GEMM, while oneDNN's blocked-layout convolutions and its AMX / AVX-512 bfloat16 kernels run these
// at 4-5x that (docs/results.md, "Speed").
//
// Numbers: float32 products are accumulated in float32 in oneDNN's order (not sgemm's). bfloat16
// operands are multiplied as bfloat16 numbers (exact in float32) and accumulated in float32, which is
// the model the bfloat16 dtype computes in (docs/design.md, "Precision"); the bfloat16 instructions
// treat subnormal operands and results as zero.
#include <cstddef>

#include <vector>

#include "dagrad/graph/kernel.hpp"
#include "dagrad/graph/tensor.hpp"

namespace dagrad {

bool onednn_built();                   // compiled with oneDNN
void use_onednn(bool on);              // process-wide; true by default where built (tests compare both paths)
bool onednn_enabled();                 // built and on
void set_onednn_threads(int threads);  // oneDNN's OpenMP threads (set_blas_threads calls it)
// How many kernel calls oneDNN has run in this process: lets a test tell that a case really took the
// oneDNN path rather than falling back to the op's own kernel.
std::size_t onednn_calls();

namespace detail::onednn {

// Each returns false, having written nothing, when oneDNN is off or has no kernel for the case
// (the caller then runs its own). Pointers are row-major float32 arrays; under bfloat16 their
// values are bfloat16 numbers.
//
// y (N, K, Ho, Wo) = x (N, C, H, W) cross-correlated with w (K, C, kh, kw), stride 1, zero padding
// (ph, pw) on both sides of each axis.
bool conv2d(const float* x, const Shape& x_shape, const float* w, const Shape& w_shape, std::size_t ph, std::size_t pw,
            float* y, bool bfloat16);
// dw (K, C, kh, kw) = the weight gradient of that convolution for output cotangent g (N, K, Ho, Wo).
bool conv2d_weight_grad(const float* x, const Shape& x_shape, const float* g, const Shape& g_shape,
                        const Shape& w_shape, std::size_t ph, std::size_t pw, float* dw, bool bfloat16);
// c (m × n) = op(a)·op(b) of bfloat16 numbers, accumulated in float32; lda, ldb: row strides.
bool matmul_bfloat16(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, const float* a,
                     std::size_t lda, const float* b, std::size_t ldb, float* c);

}  // namespace detail::onednn

namespace detail {
// The float64-memory path (Kernel::forward_float32) of an op whose float32 kernel may be oneDNN's:
// when oneDNN is on, the kernel's forward_float runs on float32 copies of the views (exact: they
// hold values of the dtype) and its result is widened into out, so both storages agree bit for bit.
// False, having done nothing, when oneDNN is off.
bool onednn_float_kernel(const Kernel& kernel, const std::vector<const View*>& in, View& out, DType dtype);
}  // namespace detail
}  // namespace dagrad
