#pragma once
// The one place that names xtensor types: a version change touches this file only.
#include <cstddef>
#include <string>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xnoalias.hpp>

namespace dagrad {

using Scalar = double;
using Shape = std::vector<std::size_t>;
using Tensor = xt::xarray<Scalar>;
// Non-owning, contiguous, row-major view: what ops read and write, so that program buffers and
// ParamStore slices share one type with owning tensors' xtensor expressions.
using View = decltype(xt::adapt(std::declval<Scalar*>(), std::size_t{}, xt::no_ownership(), std::declval<Shape>()));

inline std::size_t size_of(const Shape& s) {
  std::size_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

inline View make_view(Scalar* data, const Shape& shape) {
  return xt::adapt(static_cast<Scalar*>(data), size_of(shape), xt::no_ownership(), shape);
}

// Points a view at other memory of the same size, keeping its shape and strides (no allocation).
inline void repoint(View& view, Scalar* data) { view.reset_buffer(data, view.size()); }

inline std::string to_string(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace dagrad
