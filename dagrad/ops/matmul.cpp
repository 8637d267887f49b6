#include <numeric>

#include <xtensor-blas/xblas.hpp>

#include "dagrad/ops/onednn.hpp"
#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// The reshapes are made one after the other: as two arguments of one call their order (and so the
// node ids a dump shows) would be the compiler's choice (GCC and clang differ).
Var outer(const Var& u, const Var& v) {
  Var row = reshape(v, {1, v.size()});
  Var column = reshape(u, {u.size(), 1});
  return matmul(column, row);
}

// op(A)·op(B) for 1-D or 2-D operands; op transposes a 2-D operand inside BLAS. Derivative rules
// flip the flags rather than insert transpose nodes, so no transposed copy is ever made.
struct Matmul : detail::Bilinear<> {
  bool ta, tb;
  Matmul(bool a, bool b) : ta(a), tb(b) {}
  std::string name() const override { return "matmul"; }
  std::string attributes() const override {
    return ta || tb ? std::string("transpose_a=") + (ta ? "1" : "0") + " transpose_b=" + (tb ? "1" : "0") : "";
  }
  // Rows and columns of op(A) (a vector counts as a row of length k) and of op(B).
  static std::pair<std::size_t, std::size_t> dims(const Shape& s, bool t) {
    return s.size() == 1 ? std::make_pair(std::size_t{1}, s[0])
                         : (t ? std::make_pair(s[1], s[0]) : std::make_pair(s[0], s[1]));
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 2);
    const Shape &a = in[0], &b = in[1];
    if (a.empty() || a.size() > 2 || b.empty() || b.size() > 2) throw ShapeMismatch{"matmul takes 1-D or 2-D operands"};
    std::size_t ka = a.size() == 1 ? a[0] : dims(a, ta).second;
    std::size_t kb = b.size() == 1 ? b[0] : dims(b, tb).first;
    if (ka != kb)
      throw ShapeMismatch{"inner dimensions differ (" + std::to_string(ka) + " vs " + std::to_string(kb) + ")" +
                          (ta || tb ? " after the transpose flags" : "")};
    Shape out;
    if (a.size() == 2) out.push_back(dims(a, ta).first);
    if (b.size() == 2) out.push_back(dims(b, tb).second);
    return out;
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    const View &a = *in[0], &b = *in[1];
    if (a.dimension() == 2 && b.dimension() == 2) {
      // A single row or column is a vector whatever the flag: GEMV, because OpenBLAS's GEMM packs the
      // whole matrix operand first (one example through a 256-wide layer: 2x slower than GEMV).
      const int m = static_cast<int>(a.shape()[ta ? 1 : 0]), k = static_cast<int>(a.shape()[ta ? 0 : 1]),
                n = static_cast<int>(b.shape()[tb ? 0 : 1]);
      if (m == 1) {  // out = op(B)ᵀ a
        cblas_dgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? n : k, tb ? k : n, 1.0, b.data(), tb ? k : n,
                    a.data(), 1, 0.0, out.data(), 1);
      } else if (n == 1) {  // out = op(A) b
        cblas_dgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, ta ? k : m, ta ? m : k, 1.0, a.data(), ta ? m : k,
                    b.data(), 1, 0.0, out.data(), 1);
      } else {
        xt::blas::gemm(a, b, out, ta, tb);
      }
    } else if (a.dimension() == 2)
      xt::blas::gemv(a, b, out, ta);
    else if (b.dimension() == 2)
      xt::blas::gemv(b, a, out, !tb);  // v·op(B) = op(B)ᵀ·v
    else
      out.data()[0] = std::inner_product(a.begin(), a.end(), b.begin(), Scalar(0));
  }
  // float32 and bfloat16 graphs: the operands narrowed to float32 (exact: they hold values of the
  // dtype), one sgemm or sgemv, the float32 result widened back for the Program to round. The sum
  // is accumulated in float32, as PyTorch's CPU matmul does in both dtypes (bfloat16 through sgemm
  // where the CPU has no bfloat16 instructions), rather than in float64 and rounded once.
  // bfloat16 with oneDNN (ops/onednn.hpp): bfloat16 products accumulated in float32, as LibTorch's
  // oneDNN matmul does on CPUs with bfloat16 instructions; the float64-memory path runs the same
  // kernel on float32 copies, so both storages agree bit for bit.
  void forward_float32(const std::vector<const View*>& in, View& out, DType dtype) const override {
    if (dtype == DType::BFloat16 && detail::onednn_float_kernel(*this, in, out, dtype)) return;
    const Gemm d = gemm_dims(in[0]->shape(), in[1]->shape());
    detail::sgemm_widened(d.at, d.bt, d.m, d.n, d.k, in[0]->data(), d.lda, in[1]->data(), d.ldb, 0, out.data());
  }
  // The same sgemm on float32 memory, with no copies.
  bool runs_in_float(const std::vector<Shape>&, const Shape&) const override { return true; }
  void forward_float(const std::vector<const FloatBuffer*>& in, FloatBuffer& out) const override {
    const Gemm d = gemm_dims(in[0]->shape, in[1]->shape);
    if (out.dtype == DType::BFloat16 &&
        detail::onednn::matmul_bfloat16(d.at, d.bt, d.m, d.n, d.k, in[0]->data, d.lda, in[1]->data, d.ldb, out.data))
      return;
    detail::sgemm(d.at, d.bt, d.m, d.n, d.k, in[0]->data, d.lda, in[1]->data, d.ldb, 0.0f, out.data);
  }
  // A vector operand is a 1 × k row (a) or a k × 1 column (b) for the GEMM helpers.
  struct Gemm {
    bool at, bt;
    std::size_t m, n, k, lda, ldb;
  };
  template <class ShapeA, class ShapeB>
  Gemm gemm_dims(const ShapeA& a, const ShapeB& b) const {
    const bool a2 = a.size() == 2, b2 = b.size() == 2;
    const std::size_t k = a2 ? a[ta ? 0 : 1] : a[0];
    return {a2 && ta, b2 && tb, a2 ? a[ta ? 1 : 0] : 1, b2 ? b[tb ? 0 : 1] : 1, k, a2 ? a[1] : k, b2 ? b[1] : 1};
  }
  Var adjoint_a(const Var& g, const Var& a, const Var& b) const override {
    std::size_t ra = a.shape().size(), rb = b.shape().size();
    if (ra == 2 && rb == 2) return ta ? matmul(b, g, tb, true) : matmul(g, b, false, !tb);
    if (ra == 2) return ta ? outer(b, g) : outer(g, b);  // y = op(A) v
    if (rb == 2) return matmul(b, g, tb);                // y = v op(B)
    return g * b;                                        // dot product: g is a scalar
  }
  Var adjoint_b(const Var& g, const Var& a, const Var& b) const override {
    std::size_t ra = a.shape().size(), rb = b.shape().size();
    if (ra == 2 && rb == 2) return tb ? matmul(g, a, true, ta) : matmul(a, g, !ta, false);
    if (ra == 2) return matmul(a, g, !ta);
    if (rb == 2) return tb ? outer(g, a) : outer(a, g);
    return g * a;
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    std::size_t k = in[0].size() == 1 ? in[0][0] : dims(in[0], ta).second;
    double n_out = static_cast<double>(size_of(out));
    return {2.0 * n_out * static_cast<double>(k),
            sizeof(Scalar) * (static_cast<double>(size_of(in[0]) + size_of(in[1])) + n_out)};
  }
};

}  // namespace

Var matmul(const Var& a, const Var& b, bool transpose_a, bool transpose_b) {
  return detail::make<Matmul>({a, b}, transpose_a, transpose_b);
}

DAGRAD_REGISTER_OP(matmul, true)

}  // namespace dagrad
