#include <cmath>
#include <random>

#include <xtensor-blas/xlinalg.hpp>

#include "dagrad/analysis/analysis.hpp"
#include "dagrad/ops/ops.hpp"

namespace dagrad::analysis {

namespace {
// A Krylov basis of a symmetric operator from a random unit start, and the tridiagonal matrix T
// (alpha on the diagonal, beta beside it) of the operator in that basis.
struct Krylov {
  std::vector<Tensor> basis;
  std::vector<Scalar> alpha, beta;
};
Krylov krylov(const std::function<void(const Tensor& v, Tensor& Av)>& apply, std::size_t n, std::size_t iterations,
              std::uint64_t seed) {
  std::size_t k_max = std::min(iterations, n);
  std::mt19937_64 rng(seed);
  std::normal_distribution<Scalar> normal(0, 1);
  Krylov K;
  Tensor v = Tensor::from_shape({n});
  for (auto& x : v) x = normal(rng);
  v /= xt::linalg::norm(v);
  Tensor w = Tensor::from_shape({n});
  for (std::size_t k = 0; k < k_max; ++k) {
    K.basis.push_back(v);
    apply(v, w);
    K.alpha.push_back(xt::sum(w * v)());
    // Full reorthogonalisation (twice) keeps the basis orthogonal in floating point; without it
    // converged Ritz values reappear as spurious copies ("ghosts", Paige 1976).
    for (int pass = 0; pass < 2; ++pass)
      for (const Tensor& q : K.basis) w -= xt::sum(w * q)() * q;
    Scalar b = xt::linalg::norm(w);
    if (b < 1e-12 * std::max<Scalar>(1, std::fabs(K.alpha.back()))) break;  // invariant subspace found
    if (k + 1 < k_max) K.beta.push_back(b);
    v = w / b;
  }
  return K;
}
// Eigenvalues (ascending) and eigenvectors (columns) of T.
std::pair<Tensor, Tensor> ritz(const Krylov& K) {
  std::size_t m = K.alpha.size();
  Tensor T = xt::zeros<Scalar>({m, m});
  for (std::size_t i = 0; i < m; ++i) {
    T(i, i) = K.alpha[i];
    if (i + 1 < m) T(i, i + 1) = T(i + 1, i) = K.beta[i];
  }
  auto [values, vectors] = xt::linalg::eigh(T);
  return {Tensor(values), Tensor(vectors)};
}
}  // namespace

ExtremeEigenvalues lanczos(const std::function<void(const Tensor& v, Tensor& Av)>& apply, std::size_t n,
                           std::size_t iterations, std::uint64_t seed) {
  Krylov K = krylov(apply, n, iterations, seed);
  Tensor values = ritz(K).first;
  return {values(0), values(values.size() - 1), K.alpha.size()};
}

Eigenpairs lanczos_eigenpairs(const std::function<void(const Tensor& v, Tensor& Av)>& apply, std::size_t n,
                              std::size_t k, SpectrumEnd end, std::size_t iterations, std::uint64_t seed) {
  if (k == 0 || k > n)
    throw ValueError("lanczos_eigenpairs: asked for " + std::to_string(k) + " eigenpairs of an operator of size " +
                     std::to_string(n));
  if (iterations < k)
    throw ValueError("lanczos_eigenpairs: " + std::to_string(iterations) + " iterations cannot give " +
                     std::to_string(k) + " eigenpairs");
  Krylov K = krylov(apply, n, iterations, seed);
  const std::size_t m = K.alpha.size();
  if (m < k)
    throw NumericError("lanczos_eigenpairs: the start vector lies in an invariant subspace of dimension " +
                       std::to_string(m) + " < k = " + std::to_string(k) + "; use another seed");
  auto [values, vectors] = ritz(K);
  Eigenpairs e;
  e.values = Tensor::from_shape({k});
  e.vectors = xt::zeros<Scalar>({k, n});
  e.residuals = Tensor::from_shape({k});
  e.iterations = m;
  Tensor v = Tensor::from_shape({n}), Av = Tensor::from_shape({n});
  for (std::size_t i = 0; i < k; ++i) {
    const std::size_t col = end == SpectrumEnd::Largest ? m - 1 - i : i;
    v.fill(0);
    for (std::size_t j = 0; j < m; ++j) v += vectors(j, col) * K.basis[j];
    v /= xt::linalg::norm(v);
    // The true residual, one more product per pair: T's own estimate assumes exact orthogonality.
    apply(v, Av);
    e.values(i) = values(col);
    e.residuals(i) = xt::linalg::norm(Tensor(Av - values(col) * v));
    xt::view(e.vectors, i, xt::all()) = v;
  }
  return e;
}

HessianOperator::HessianOperator(Graph& g, const Var& loss, ParamStore& store,
                                 const std::vector<std::pair<Var, Tensor>>& data)
    : store_(store), params_(store.parameters()) {
  for (const Var& p : params_) directions_.push_back(g.input("hessian_direction/" + p.name(), p.shape()));
  products_ = hvp(loss, params_, directions_);
  program_ = std::make_unique<Program>(g, products_);
  program_->bind(store);
  for (const auto& [v, t] : data) program_->set(v, t);
}

void HessianOperator::operator()(const Tensor& v, Tensor& Hv) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    Tensor part = Tensor::from_shape(params_[i].shape());
    std::copy(v.data() + at, v.data() + at + part.size(), part.data());
    program_->set(directions_[i], part);
    at += part.size();
  }
  program_->run();
  at = 0;
  for (const Var& p : products_) {
    const View& out = program_->view(p);
    std::copy(out.begin(), out.end(), Hv.data() + at);
    at += out.size();
  }
}

Tensor parameter_jacobian(Graph& g, const Var& output, ParamStore& store,
                          const std::vector<std::pair<Var, Tensor>>& data) {
  if (output.shape().size() != 1)
    throw ShapeError("parameter_jacobian: the output must be a vector of predictions, got shape " +
                     to_string(output.shape()));
  std::size_t n = output.size();
  Var u = g.input("jacobian_cotangent", {n});
  std::vector<Var> rows = vjp({output}, {u}, store.parameters());
  Program p(g, rows);
  p.bind(store);
  for (const auto& [v, t] : data) p.set(v, t);
  Tensor J = Tensor::from_shape({n, store.size()});
  for (std::size_t i = 0; i < n; ++i) {
    Tensor e = xt::zeros<Scalar>({n});
    e(i) = 1;
    p.set(u, e);
    p.run();
    std::size_t at = 0;
    for (const Var& r : rows) {
      const View& out = p.view(r);
      std::copy(out.begin(), out.end(), J.data() + i * store.size() + at);
      at += out.size();
    }
  }
  return J;
}

Tensor jacobian_singular_values(Graph& g, const Var& output, ParamStore& store,
                                const std::vector<std::pair<Var, Tensor>>& data) {
  return std::get<1>(xt::linalg::svd(parameter_jacobian(g, output, store, data), false));
}

Tensor ntk_gram(Graph& g, const Var& output, ParamStore& store, const std::vector<std::pair<Var, Tensor>>& data) {
  Tensor J = parameter_jacobian(g, output, store, data);
  return xt::linalg::dot(J, xt::transpose(J));
}

Tensor ntk_spectrum(const Tensor& gram) {
  Tensor values = std::get<0>(xt::linalg::eigh(gram));
  return xt::flip(values, 0);
}

}  // namespace dagrad::analysis
