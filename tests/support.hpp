#pragma once
#include <cmath>
#include <random>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xview.hpp>

#include "dagrad/dagrad.hpp"
#include "dagrad/ops/onednn.hpp"

namespace dagrad::test {

using Rng = std::mt19937_64;

inline Tensor random_tensor(Rng& rng, const Shape& shape, double lo = -1, double hi = 1) {
  std::uniform_real_distribution<double> u(lo, hi);
  Tensor t = Tensor::from_shape(shape);
  for (auto& x : t) x = u(rng);
  return t;
}

inline Tensor random_normal(Rng& rng, const Shape& shape) {
  std::normal_distribution<double> n(0, 1);
  Tensor t = Tensor::from_shape(shape);
  for (auto& x : t) x = n(rng);
  return t;
}

inline double l2norm(const Tensor& t) {
  double s = 0;
  for (double x : t) s += x * x;
  return std::sqrt(s);
}

inline double inner(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a.flat(i) * b.flat(i);
  return s;
}

// oneDNN's kernels on or off for a scope (dagrad/ops/onednn.hpp), on again however the scope ends:
// tests run both paths.
struct OnednnSwitch {
  explicit OnednnSwitch(bool on) { use_onednn(on); }
  ~OnednnSwitch() { use_onednn(true); }
  OnednnSwitch(const OnednnSwitch&) = delete;
  OnednnSwitch& operator=(const OnednnSwitch&) = delete;
};

inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a.flat(i) - b.flat(i)));
  return m;
}

// Catch's decomposer meets xtensor's operators badly, so tensors are compared through this.
inline bool same_tensor(const Tensor& a, const Tensor& b) { return a.shape() == b.shape() && a == b; }

inline Tensor scalar_tensor(double v) {
  Tensor t = Tensor::from_shape({});
  t() = v;
  return t;
}

}  // namespace dagrad::test
