#include <cmath>
#include <random>

#include <xtensor-blas/xlinalg.hpp>

#include "dagrad/analysis/analysis.hpp"
#include "dagrad/ops/ops.hpp"

namespace dagrad::analysis {

ExtremeEigenvalues lanczos(const std::function<void(const Tensor& v, Tensor& Av)>& apply, std::size_t n,
                           std::size_t iterations, std::uint64_t seed) {
  std::size_t k_max = std::min(iterations, n);
  std::mt19937_64 rng(seed);
  std::normal_distribution<Scalar> normal(0, 1);
  std::vector<Tensor> basis;
  Tensor v = Tensor::from_shape({n});
  for (auto& x : v) x = normal(rng);
  v /= xt::linalg::norm(v);
  std::vector<Scalar> alpha, beta;
  Tensor w = Tensor::from_shape({n});
  for (std::size_t k = 0; k < k_max; ++k) {
    basis.push_back(v);
    apply(v, w);
    alpha.push_back(xt::sum(w * v)());
    // Full reorthogonalisation (twice) keeps the Krylov basis orthogonal in floating point.
    for (int pass = 0; pass < 2; ++pass)
      for (const Tensor& q : basis) w -= xt::sum(w * q)() * q;
    Scalar b = xt::linalg::norm(w);
    if (b < 1e-12 * std::max<Scalar>(1, std::fabs(alpha.back()))) break;  // invariant subspace found
    beta.push_back(b);
    v = w / b;
  }
  std::size_t m = alpha.size();
  Tensor T = xt::zeros<Scalar>({m, m});
  for (std::size_t i = 0; i < m; ++i) {
    T(i, i) = alpha[i];
    if (i + 1 < m) T(i, i + 1) = T(i + 1, i) = beta[i];
  }
  Tensor eig = std::get<0>(xt::linalg::eigh(T));
  return {xt::amin(eig)(), xt::amax(eig)(), m};
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

Tensor jacobian_singular_values(Graph& g, const Var& output, ParamStore& store,
                                const std::vector<std::pair<Var, Tensor>>& data) {
  if (output.shape().size() != 1)
    throw ShapeError("jacobian_singular_values: the output must be a vector of predictions");
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
  return std::get<1>(xt::linalg::svd(J, false));
}

}  // namespace dagrad::analysis
