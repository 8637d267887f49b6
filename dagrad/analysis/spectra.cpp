#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numeric>
#include <random>

#include <boost/math/distributions/students_t.hpp>
#include <xtensor-blas/xlinalg.hpp>

#include "dagrad/analysis/analysis.hpp"
#include "dagrad/analysis/progress.hpp"

namespace dagrad::analysis {

Spectrum spectrum(const Tensor& W) {
  if (W.dimension() != 2) throw ShapeError("spectrum: needs a matrix");
  auto [U, S, Vt] = xt::linalg::svd(W, false);
  Spectrum s;
  s.singular_values = S;
  s.u1 = xt::view(U, xt::all(), 0);
  s.v1 = xt::view(Vt, 0, xt::all());
  return s;
}

std::vector<Scalar> layer_alignment(const std::vector<Tensor>& layers) {
  std::vector<Scalar> out;
  for (std::size_t k = 0; k + 1 < layers.size(); ++k)
    // As maps W_k = A_kᵀ: |<v1(W_{k+1}), u1(W_k)>| = |<u1(A_{k+1}), v1(A_k)>| for the stored A.
    out.push_back(std::fabs(xt::sum(spectrum(layers[k + 1]).u1 * spectrum(layers[k]).v1)()));
  return out;
}

std::vector<Scalar> balancedness(const std::vector<Tensor>& layers) {
  std::vector<Scalar> out;
  for (std::size_t k = 0; k + 1 < layers.size(); ++k) {
    const Tensor &a = layers[k], &b = layers[k + 1];
    // W_{k+1}ᵀW_{k+1} − W_k W_kᵀ for the maps W = Aᵀ is B Bᵀ − Aᵀ A for the stored (in, out) A, B.
    Tensor diff = xt::linalg::dot(b, xt::transpose(b)) - xt::linalg::dot(xt::transpose(a), a);
    out.push_back(xt::linalg::norm(diff));
  }
  return out;
}

Scalar effective_rank(const Tensor& W) {
  Tensor s = spectrum(W).singular_values;
  Scalar total = xt::sum(s)(), entropy = 0;
  if (total == 0) return 0;
  for (Scalar v : s)
    if (v > 0) entropy -= v / total * std::log(v / total);
  return std::exp(entropy);
}

Scalar nuclear_norm(const Tensor& W) { return xt::sum(spectrum(W).singular_values)(); }

Tensor min_nuclear_norm_completion(const Tensor& M, const Tensor& mask, Scalar tolerance) {
  Tensor observed = M * mask, X = xt::zeros_like(M);
  Scalar lambda = spectrum(observed).singular_values(0);
  // Continuation: each λ is solved to a small change, then shrunk, down to a negligible λ.
  std::size_t levels = static_cast<std::size_t>(std::ceil(std::log2(std::max<Scalar>(lambda / tolerance, 1)))),
              level = 0;
  Progress progress("min-nuclear-norm reference", levels);
  for (; lambda > tolerance; lambda *= 0.5) {
    progress.tick(level++);
    for (int k = 0; k < 500; ++k) {
      Tensor Z = observed + (1.0 - mask) * X;
      auto [U, S, Vt] = xt::linalg::svd(Z, false);
      Tensor shrunk = xt::maximum(S - lambda, 0.0);
      Tensor next = xt::linalg::dot(U * shrunk, Vt);
      Scalar change = xt::linalg::norm(Tensor(next - X)) / std::max<Scalar>(1e-300, xt::linalg::norm(next));
      X = next;
      if (change < tolerance) break;
    }
  }
  return X;
}

Tensor dft_magnitudes(const Tensor& beta) {
  std::size_t d = beta.size();
  Tensor out = Tensor::from_shape({d});
  for (std::size_t k = 0; k < d; ++k) {
    std::complex<Scalar> s = 0;
    for (std::size_t j = 0; j < d; ++j)
      s += beta(j) * std::polar(1.0, -2 * M_PI * static_cast<Scalar>(j * k) / static_cast<Scalar>(d));
    out(k) = std::abs(s);
  }
  return out;
}

LineFit fit_line(const std::vector<Scalar>& x, const std::vector<Scalar>& y, Scalar confidence) {
  if (x.size() != y.size() || x.size() < 2)
    throw ValueError("fit_line: needs two series of equal length >= 2, got " + std::to_string(x.size()) + " and " +
                     std::to_string(y.size()));
  if (!(confidence > 0 && confidence < 1))
    throw ValueError("fit_line: confidence must be in (0, 1), got " + std::to_string(confidence));
  const std::size_t count = x.size();
  Scalar n = static_cast<Scalar>(count), mx = 0, my = 0, sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < count; ++i) mx += x[i] / n, my += y[i] / n;
  for (std::size_t i = 0; i < count; ++i) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
  if (sxx == 0) throw ValueError("fit_line: every x is the same, so no slope is defined");
  LineFit f;
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  f.points = count;
  if (count > 2) {
    Scalar sse = 0;
    for (std::size_t i = 0; i < count; ++i) {
      Scalar r = y[i] - (f.intercept + f.slope * x[i]);
      sse += r * r;
    }
    f.slope_stderr = std::sqrt(sse / (n - 2) / sxx);
    boost::math::students_t t(n - 2);
    f.half_width = boost::math::quantile(boost::math::complement(t, (1 - confidence) / 2)) * f.slope_stderr;
  } else {
    // Two points determine the line exactly, and say nothing about how well a line fits.
    f.slope_stderr = f.half_width = std::numeric_limits<Scalar>::infinity();
  }
  return f;
}

Scalar fitted_slope(const std::vector<Scalar>& x, const std::vector<Scalar>& y) { return fit_line(x, y).slope; }

Scalar distance(const std::vector<Scalar>& a, const std::vector<Scalar>& b) {
  if (a.size() != b.size())
    throw ShapeError("distance: vectors of sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size()));
  Scalar s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

Tensor landscape(const std::function<Scalar()>& loss, std::vector<Scalar>& w, const std::vector<Scalar>& d1,
                 const std::vector<Scalar>& d2, const std::vector<Scalar>& s_values,
                 const std::vector<Scalar>& t_values) {
  std::vector<Scalar> origin = w;
  Tensor out = Tensor::from_shape({s_values.size(), t_values.size()});
  for (std::size_t a = 0; a < s_values.size(); ++a)
    for (std::size_t b = 0; b < t_values.size(); ++b) {
      for (std::size_t i = 0; i < w.size(); ++i)
        w[i] = origin[i] + s_values[a] * d1[i] + (d2.empty() ? 0 : t_values[b] * d2[i]);
      out(a, b) = loss();
    }
  std::copy(origin.begin(), origin.end(), w.begin());  // in place: the store's views stay valid
  return out;
}

Completion matrix_completion(std::size_t rows, std::size_t cols, std::size_t rank, std::size_t observed,
                             std::uint64_t seed) {
  if (observed > rows * cols) throw Error("matrix_completion: more observed entries than the matrix has");
  std::mt19937_64 rng(seed);
  std::normal_distribution<Scalar> normal(0, 1);
  Tensor U = Tensor::from_shape({rows, rank}), V = Tensor::from_shape({cols, rank});
  for (auto& v : U) v = normal(rng);
  for (auto& v : V) v = normal(rng);
  Completion c;
  c.M = xt::linalg::dot(U, xt::transpose(V));
  c.M /= xt::linalg::norm(c.M);  // unit Frobenius norm, as in Arora et al. (2019)
  // A row or column with fewer than `rank` observed entries cannot be recovered by any method, so
  // masks are uniform among those with at least `rank` entries in every row and column (rejection).
  std::vector<std::size_t> cells(rows * cols);
  for (int attempt = 0; attempt < 10000; ++attempt) {
    std::iota(cells.begin(), cells.end(), 0);
    for (std::size_t i = cells.size(); i > 1; --i) std::swap(cells[i - 1], cells[rng() % i]);
    c.mask = xt::zeros<Scalar>({rows, cols});
    std::vector<std::size_t> per_row(rows), per_col(cols);
    for (std::size_t k = 0; k < observed; ++k) {
      c.mask.flat(cells[k]) = 1;
      ++per_row[cells[k] / cols], ++per_col[cells[k] % cols];
    }
    if (*std::min_element(per_row.begin(), per_row.end()) >= rank &&
        *std::min_element(per_col.begin(), per_col.end()) >= rank)
      return c;
  }
  throw Error("matrix_completion: " + std::to_string(observed) + " observed entries of a " + std::to_string(rows) +
              "x" + std::to_string(cols) + " matrix rarely give every row and column the " + std::to_string(rank) +
              " entries rank " + std::to_string(rank) + " needs; observe more");
}

}  // namespace dagrad::analysis
