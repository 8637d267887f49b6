#include <algorithm>

#include <xtensor-blas/xblas.hpp>

#include "dagrad/ops/onednn.hpp"
#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// Cross-correlation with stride 1 by im2col + one gemm per image. With g the output cotangent,
//   dx = conv2d(g, flip(wᵀ over channels), kh − 1 − p)          (a full correlation)
//   dw = conv2d_weight_grad(x, g, p)                             (its own op: one gemm per image,
//        no transposed copies of x and g; as PyTorch's convolution_backward)
struct Conv2d : detail::Bilinear<> {
  std::size_t ph, pw;  // zero padding of the height and width axes
  Conv2d(std::size_t h, std::size_t w) : ph(h), pw(w) {}
  std::string name() const override { return "conv2d"; }
  std::string attributes() const override { return "padding=[" + std::to_string(ph) + "," + std::to_string(pw) + "]"; }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 2);
    const Shape &x = in[0], &w = in[1];
    if (x.size() != 4 || w.size() != 4) throw ShapeMismatch{"conv2d takes x (N, C, H, W) and w (K, C, kh, kw)"};
    if (x[1] != w[1])
      throw ShapeMismatch{"channels differ (" + std::to_string(x[1]) + " vs " + std::to_string(w[1]) + ")"};
    if (x[2] + 2 * ph < w[2] || x[3] + 2 * pw < w[3]) throw ShapeMismatch{"kernel larger than the padded image"};
    return {x[0], w[0], x[2] + 2 * ph - w[2] + 1, x[3] + 2 * pw - w[3] + 1};
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    run(in, out, [](const View& a, const View& b, View& c) { xt::blas::gemm(a, b, c, false, false); });
  }
  // float32 and bfloat16: each image's product by sgemm, accumulated in float32 as PyTorch does.
  void forward_float32(const std::vector<const View*>& in, View& out, DType dtype) const override {
    if (detail::onednn_float_kernel(*this, in, out, dtype)) return;
    run(in, out, [](const View& a, const View& b, View& c) {
      detail::sgemm_widened(false, false, a.shape()[0], b.shape()[1], a.shape()[1], a.data(), a.shape()[1], b.data(),
                            b.shape()[1], 0, c.data());
    });
  }
  template <class Gemm>
  void run(const std::vector<const View*>& in, View& out, Gemm gemm) const {
    const View &x = *in[0], &w = *in[1];
    const std::size_t K = w.shape()[0], rows = w.shape()[1] * w.shape()[2] * w.shape()[3];
    const std::size_t Ho = out.shape()[2], Wo = out.shape()[3], cols_n = Ho * Wo;
    View w_mat = make_view(const_cast<Scalar*>(w.data()), {K, rows});
    detail::for_each_im2col(x.data(), x.shape(), w.shape()[2], w.shape()[3], ph, pw, Ho, Wo,
                            [&](std::size_t n, Scalar* cols) {
                              View col_view = make_view(cols, {rows, cols_n});
                              View out_n = make_view(out.data() + n * K * cols_n, {K, cols_n});
                              gemm(w_mat, col_view, out_n);
                            });
  }
  // The same sgemm per image on float32 memory: no copies of the weights, images or results.
  bool runs_in_float(const std::vector<Shape>&, const Shape&) const override { return true; }
  void forward_float(const std::vector<const FloatBuffer*>& in, FloatBuffer& out) const override {
    const FloatBuffer &x = *in[0], &w = *in[1];
    const std::size_t K = w.shape[0], rows = w.shape[1] * w.shape[2] * w.shape[3];
    const std::size_t Ho = out.shape[2], Wo = out.shape[3], cols_n = Ho * Wo;
    if (detail::onednn::conv2d(x.data, x.shape, w.data, w.shape, ph, pw, out.data, out.dtype == DType::BFloat16))
      return;
    detail::for_each_im2col(x.data, x.shape, w.shape[2], w.shape[3], ph, pw, Ho, Wo, [&](std::size_t n, float* cols) {
      detail::sgemm(false, false, K, cols_n, rows, w.data, rows, cols, cols_n, 0.0f, out.data + n * K * cols_n);
    });
  }
  Var adjoint_a(const Var& g, const Var&, const Var& w) const override {
    Shape ws = w.shape();
    if (ph + 1 > ws[2] || pw + 1 > ws[3])
      throw AutodiffError("conv2d: the input gradient needs padding <= kernel - 1 on each axis");
    Var w_adjoint = flip(transpose(w, {1, 0, 2, 3}), {2, 3});
    return detail::make<Conv2d>({g, w_adjoint}, ws[2] - 1 - ph, ws[3] - 1 - pw);
  }
  Var adjoint_b(const Var& g, const Var& x, const Var&) const override { return conv2d_weight_grad(x, g, ph, pw); }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    double macs = static_cast<double>(size_of(out)) * static_cast<double>(in[1][1] * in[1][2] * in[1][3]);
    return {2 * macs, sizeof(Scalar) * static_cast<double>(size_of(in[0]) + size_of(in[1]) + size_of(out))};
  }
};

}  // namespace

Var conv2d(const Var& x, const Var& w, std::size_t padding) { return detail::make<Conv2d>({x, w}, padding, padding); }
Var conv2d(const Var& x, const Var& w, std::size_t padding_h, std::size_t padding_w) {
  return detail::make<Conv2d>({x, w}, padding_h, padding_w);
}

DAGRAD_REGISTER_OP(conv2d, true)

}  // namespace dagrad
