#include "dagrad/ops/support.hpp"
#include <cmath>

#include <algorithm>

#include <cblas.h>

namespace dagrad::detail {

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    std::size_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    std::size_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      throw ShapeMismatch{"shapes " + to_string(a) + " and " + to_string(b) + " do not broadcast (axis " +
                          std::to_string(i) + ": " + std::to_string(da) + " vs " + std::to_string(db) + ")"};
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Var unbroadcast(const Var& g, const Shape& target) {
  if (!g.valid() || g.shape() == target) return g;
  return sum_to(g, target);
}

Var piece(const DiffContext& ctx, const Var& v, Scalar tie, const Var& gap) {
  std::vector<Var> gaps;
  if (gap.valid() && ctx.directional()) gaps = ctx.kink_keys(gap);
  return step(ctx.kink_keys(v), tie, ctx.site, gaps);
}

Var reapply(const Var& output, const std::vector<Var>& inputs) {
  Graph& g = output.graph();
  return g.apply(g.node(output.id()).op, inputs);
}

std::size_t normalize_axis(int axis, std::size_t rank, const char* op) {
  int r = static_cast<int>(rank);
  if (axis < -r || axis >= r)
    throw ShapeMismatch{std::string("axis ") + std::to_string(axis) + " is out of range for rank " +
                        std::to_string(rank) + " in " + op};
  return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

std::vector<std::size_t> normalize_axes(const std::vector<int>& axes, std::size_t rank, const char* op) {
  std::vector<std::size_t> out;
  if (axes.empty())
    for (std::size_t i = 0; i < rank; ++i) out.push_back(i);
  for (int a : axes) {
    std::size_t n = normalize_axis(a, rank, op);
    if (std::find(out.begin(), out.end(), n) != out.end())
      throw ShapeMismatch{"axis " + std::to_string(a) + " is listed twice in " + op};
    out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string axes_string(const std::vector<std::size_t>& axes) {
  std::string s = "[";
  for (std::size_t i = 0; i < axes.size(); ++i) s += (i ? "," : "") + std::to_string(axes[i]);
  return s + "]";
}

void expect_inputs(const std::vector<Shape>& in, std::size_t n) {
  if (in.size() != n) throw ShapeMismatch{"expects " + std::to_string(n) + " inputs, got " + std::to_string(in.size())};
}

AxisSplit::AxisSplit(const Shape& s, std::size_t axis) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i < axis)
      outer *= s[i];
    else if (i == axis)
      n = s[i];
    else
      inner *= s[i];
  }
}

ShiftedLogSumExp shifted_logsumexp(const Scalar* x, std::size_t n, std::size_t stride) {
  std::size_t at_max = 0;
  for (std::size_t i = 1; i < n; ++i)
    if (x[i * stride] > x[at_max * stride]) at_max = i;
  Scalar m = n ? x[at_max * stride] : -INFINITY, rest = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (i != at_max) rest += std::exp(x[i * stride] - m);
  return {m, std::log1p(rest)};
}

Cost elementwise_cost(const std::vector<Shape>& in, const Shape& out, double flops_per_element) {
  double n = static_cast<double>(size_of(out));
  double bytes = n;
  for (const Shape& s : in) bytes += static_cast<double>(size_of(s));
  return {flops_per_element * n, bytes * sizeof(Scalar)};
}

std::string int_axes_string(const std::vector<int>& axes) {
  std::string s = "[";
  for (std::size_t i = 0; i < axes.size(); ++i) s += (i ? "," : "") + std::to_string(axes[i]);
  return s + "]";
}

std::vector<Tangent> blend_vjp(const Var& g, const Var& m, const Var& a, const Var& b) {
  return {unbroadcast(g * m, a.shape()), unbroadcast(g * (1.0 - m), b.shape())};
}

Tangent blend_jvp(const Tangent& ta, const Tangent& tb, const Var& m, const Shape& out) {
  Tangent da = ta.is_zero() ? Tangent::zero() : Tangent(ta.var() * m);
  Tangent db = tb.is_zero() ? Tangent::zero() : Tangent(tb.var() * (1.0 - m));
  return widen(add_tangents(da, db), out);
}

PoolWindows::PoolWindows(const Shape& input, const PoolGeometry& g) : in(input), kernel(g.kernel), stride(g.stride) {
  std::size_t d = kernel.size();
  if (d == 0 || stride.size() != d) throw ShapeMismatch{"pooling needs one kernel size and one stride per pooled axis"};
  if (input.size() < d + 1)
    throw ShapeMismatch{"input has fewer axes than " + std::to_string(d) + " pooled axes plus a batch axis"};
  out = input;
  for (std::size_t i = 0; i < d; ++i) {
    std::size_t n = input[input.size() - d + i];
    if (kernel[i] == 0 || stride[i] == 0) throw ShapeMismatch{"kernel and stride must be positive"};
    if (kernel[i] > n)
      throw ShapeMismatch{"kernel " + std::to_string(kernel[i]) + " exceeds axis size " + std::to_string(n)};
    out[input.size() - d + i] = (n - kernel[i]) / stride[i] + 1;
    members *= kernel[i];
  }
  windows = size_of(out);
}

std::size_t PoolWindows::offset(std::size_t window, std::size_t member) const {
  std::size_t d = kernel.size(), rank = in.size(), off = 0, in_stride = 1;
  for (std::size_t a = rank; a-- > 0;) {
    std::size_t pos = window % out[a];
    window /= out[a];
    if (a >= rank - d) {
      std::size_t k = a - (rank - d);
      std::size_t inner = 1;
      for (std::size_t b = k + 1; b < d; ++b) inner *= kernel[b];
      pos = pos * stride[k] + (member / inner) % kernel[k];
    }
    off += pos * in_stride;
    in_stride *= in[a];
  }
  return off;
}

}  // namespace dagrad::detail

namespace dagrad {

Var zeros(Graph& g, const Shape& shape) {
  Var z = g.scalar(0);
  return shape.empty() ? z : broadcast_to(z, shape);
}

Var operator+(const Var& a, const Var& b) { return add(a, b); }
Var operator-(const Var& a, const Var& b) { return sub(a, b); }
Var operator*(const Var& a, const Var& b) { return mul(a, b); }
Var operator/(const Var& a, const Var& b) { return div(a, b); }
Var operator-(const Var& a) { return neg(a); }
Var operator+(const Var& a, Scalar b) { return add(a, a.graph().scalar(b)); }
Var operator+(Scalar a, const Var& b) { return add(b.graph().scalar(a), b); }
Var operator-(const Var& a, Scalar b) { return sub(a, a.graph().scalar(b)); }
Var operator-(Scalar a, const Var& b) { return sub(b.graph().scalar(a), b); }
Var operator*(const Var& a, Scalar b) { return mul(a, a.graph().scalar(b)); }
Var operator*(Scalar a, const Var& b) { return mul(b.graph().scalar(a), b); }
Var operator/(const Var& a, Scalar b) { return div(a, a.graph().scalar(b)); }
Var operator/(Scalar a, const Var& b) { return div(b.graph().scalar(a), b); }

namespace detail {

// Through a zero-padded copy of the image, so that every row of cols is Ho plain copies of Wo
// elements with no bounds to test (small images: per-segment fills and library calls cost the
// bench's 8 × 8 conv net half its step).
template <class T>
void im2col(const T* image, std::size_t C, std::size_t H, std::size_t W, std::size_t kh, std::size_t kw, std::size_t ph,
            std::size_t pw, std::size_t Ho, std::size_t Wo, T* cols) {
  const std::size_t Hp = H + 2 * ph, Wp = W + 2 * pw, cols_n = Ho * Wo;
  const T* padded = image;
  if (ph || pw) {
    thread_local std::vector<T> workspace;
    if (workspace.size() < C * Hp * Wp) workspace.resize(C * Hp * Wp);
    T* p = workspace.data();
    std::fill(p, p + C * Hp * Wp, T(0));
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t y = 0; y < H; ++y)
        std::copy(image + (c * H + y) * W, image + (c * H + y + 1) * W, p + (c * Hp + y + ph) * Wp + pw);
    padded = p;
  }
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t i = 0; i < kh; ++i)
      for (std::size_t j = 0; j < kw; ++j) {
        T* dst = cols + ((c * kh + i) * kw + j) * cols_n;
        const T* src = padded + (c * Hp + i) * Wp + j;
        for (std::size_t h = 0; h < Ho; ++h, dst += Wo, src += Wp)
          for (std::size_t v = 0; v < Wo; ++v) dst[v] = src[v];
      }
}
template void im2col(const Scalar*, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t,
                     std::size_t, std::size_t, std::size_t, Scalar*);
template void im2col(const float*, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t,
                     std::size_t, std::size_t, std::size_t, float*);

template <class T>
T* conv_workspace(std::size_t elements) {
  thread_local std::vector<T> workspace;
  if (workspace.size() < elements) workspace.resize(elements);
  return workspace.data();
}
template Scalar* conv_workspace(std::size_t);
template float* conv_workspace(std::size_t);

namespace {
void narrow(const Scalar* from, std::size_t count, std::vector<float>& to) {
  if (to.size() < count) to.resize(count);  // grown once per thread, then reused
  narrow_to_float(from, count, to.data());
}
}  // namespace

void sgemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, const float* a,
           std::size_t lda, const float* b, std::size_t ldb, float beta, float* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // an empty sum (BLAS would refuse a zero leading dimension)
    for (std::size_t e = 0; e < m * n; ++e) c[e] = beta == 0 ? 0.0f : c[e] * beta;  // BLAS: beta 0 ignores C
    return;
  }
  const auto i = [](std::size_t v) { return static_cast<int>(v); };
  if (m == 1 || n == 1) {     // a vector: GEMV (OpenBLAS's GEMM packs the whole matrix operand first)
    const bool row = m == 1;  // c = op(B)ᵀ a, else c = op(A) b
    const float* matrix = row ? b : a;
    const bool t = row ? !transpose_b : transpose_a;
    const std::size_t rows = row ? (transpose_b ? n : k) : (transpose_a ? k : m), ld = row ? ldb : lda;
    cblas_sgemv(CblasRowMajor, t ? CblasTrans : CblasNoTrans, i(rows), i(ld), 1.0f, matrix, i(ld), row ? a : b, 1, beta,
                c, 1);
  } else {
    cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans, i(m),
                i(n), i(k), 1.0f, a, i(lda), b, i(ldb), beta, c, i(n));
  }
}

void sgemm_widened(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, const Scalar* a,
                   std::size_t lda, const Scalar* b, std::size_t ldb, Scalar beta, Scalar* c) {
  if (m == 0 || n == 0) return;
  thread_local std::vector<float> fa, fb, fc;
  narrow(a, k == 0 ? 0 : (transpose_a ? k : m) * lda, fa);
  narrow(b, k == 0 ? 0 : (transpose_b ? n : k) * ldb, fb);
  if (beta != 0)
    narrow(c, m * n, fc);
  else if (fc.size() < m * n)
    fc.resize(m * n);
  sgemm(transpose_a, transpose_b, m, n, k, fa.data(), lda, fb.data(), ldb, static_cast<float>(beta), fc.data());
  widen_to_scalar(fc.data(), m * n, c);
}

}  // namespace detail

}  // namespace dagrad
