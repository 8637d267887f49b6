#include <xtensor-blas/xblas.hpp>

#include "dagrad/ops/onednn.hpp"
#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// dW = Σ_n g_n · im2col(x_n)ᵀ, one gemm per image accumulating into dW. It is bilinear in (x, g)
// with ⟨G, dW(x, g)⟩ = ⟨g, conv2d(x, G)⟩, so its derivatives are convolutions again:
//   ∂/∂g = conv2d(x, G, p),   ∂/∂x = conv2d's input gradient with weights G and cotangent g.
struct Conv2dWeightGrad : detail::Bilinear<> {
  std::size_t ph, pw;
  Conv2dWeightGrad(std::size_t h, std::size_t w) : ph(h), pw(w) {}
  std::string name() const override { return "conv2d_weight_grad"; }
  std::string attributes() const override { return "padding=[" + std::to_string(ph) + "," + std::to_string(pw) + "]"; }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 2);
    const Shape &x = in[0], &g = in[1];
    if (x.size() != 4 || g.size() != 4)
      throw ShapeMismatch{"conv2d_weight_grad takes x (N, C, H, W) and g (N, K, Ho, Wo)"};
    if (x[0] != g[0])
      throw ShapeMismatch{"batch sizes differ (" + std::to_string(x[0]) + " vs " + std::to_string(g[0]) + ")"};
    if (g[2] == 0 || g[3] == 0 || g[2] > x[2] + 2 * ph || g[3] > x[3] + 2 * pw)
      throw ShapeMismatch{"output larger than the padded image"};
    return {g[1], x[1], x[2] + 2 * ph - g[2] + 1, x[3] + 2 * pw - g[3] + 1};
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    run(in, out, [](const View& a, const View& b, View& c, Scalar beta) {
      xt::blas::gemm(a, b, c, false, true, Scalar(1), beta);
    });
  }
  // float32 and bfloat16: dW accumulates over the batch in float32 (each image's sgemm adds to the
  // float32 sum so far, exact in the float64 buffer), as PyTorch's does.
  void forward_float32(const std::vector<const View*>& in, View& out, DType dtype) const override {
    if (detail::onednn_float_kernel(*this, in, out, dtype)) return;
    run(in, out, [](const View& a, const View& b, View& c, Scalar beta) {
      detail::sgemm_widened(false, true, a.shape()[0], b.shape()[0], a.shape()[1], a.data(), a.shape()[1], b.data(),
                            b.shape()[1], beta, c.data());
    });
  }
  template <class Gemm>
  void run(const std::vector<const View*>& in, View& out, Gemm gemm) const {
    const View &x = *in[0], &g = *in[1];
    const std::size_t K = g.shape()[1], Ho = g.shape()[2], Wo = g.shape()[3], kh = out.shape()[2];
    const std::size_t kw = out.shape()[3], rows = x.shape()[1] * kh * kw, cols_n = Ho * Wo;
    View dw = make_view(out.data(), {K, rows});
    detail::for_each_im2col(x.data(), x.shape(), kh, kw, ph, pw, Ho, Wo, [&](std::size_t n, Scalar* cols) {
      View col_view = make_view(cols, {rows, cols_n});
      View g_n = make_view(const_cast<Scalar*>(g.data()) + n * K * cols_n, {K, cols_n});
      gemm(g_n, col_view, dw, n == 0 ? Scalar(0) : Scalar(1));
    });
    if (x.shape()[0] == 0) std::fill(out.begin(), out.end(), Scalar(0));
  }
  // The same accumulation on float32 memory.
  bool runs_in_float(const std::vector<Shape>&, const Shape&) const override { return true; }
  void forward_float(const std::vector<const FloatBuffer*>& in, FloatBuffer& out) const override {
    const FloatBuffer &x = *in[0], &g = *in[1];
    const std::size_t K = g.shape[1], Ho = g.shape[2], Wo = g.shape[3], kh = out.shape[2], kw = out.shape[3];
    const std::size_t rows = x.shape[1] * kh * kw, cols_n = Ho * Wo;
    if (detail::onednn::conv2d_weight_grad(x.data, x.shape, g.data, g.shape, out.shape, ph, pw, out.data,
                                           out.dtype == DType::BFloat16))
      return;
    detail::for_each_im2col(x.data, x.shape, kh, kw, ph, pw, Ho, Wo, [&](std::size_t n, float* cols) {
      detail::sgemm(false, true, K, rows, cols_n, g.data + n * K * cols_n, cols_n, cols, cols_n, n == 0 ? 0.0f : 1.0f,
                    out.data);
    });
    if (x.shape[0] == 0) std::fill(out.data, out.data + out.size(), 0.0f);
  }
  Var adjoint_a(const Var& G, const Var&, const Var& g) const override {
    Shape ws = G.shape();
    if (ph + 1 > ws[2] || pw + 1 > ws[3])
      throw AutodiffError("conv2d_weight_grad: the input gradient needs padding <= kernel - 1 on each axis");
    return conv2d(g, flip(transpose(G, {1, 0, 2, 3}), {2, 3}), ws[2] - 1 - ph, ws[3] - 1 - pw);
  }
  Var adjoint_b(const Var& G, const Var& x, const Var&) const override { return conv2d(x, G, ph, pw); }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    double macs = static_cast<double>(size_of(out)) * static_cast<double>(in[1][0] * in[1][2] * in[1][3]);
    return {2 * macs, sizeof(Scalar) * static_cast<double>(size_of(in[0]) + size_of(in[1]) + size_of(out))};
  }
};

}  // namespace

Var conv2d_weight_grad(const Var& x, const Var& g, std::size_t padding_h, std::size_t padding_w) {
  return detail::make<Conv2dWeightGrad>({x, g}, padding_h, padding_w);
}

DAGRAD_REGISTER_OP(conv2d_weight_grad, true)

}  // namespace dagrad
