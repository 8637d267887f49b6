#pragma once
// Nested JSON arrays (as written by the PyTorch reference scripts) to tensors.
#include <functional>

#include <nlohmann/json.hpp>

#include "dagrad/dagrad.hpp"

namespace dagrad::test {

inline Tensor from_json(const nlohmann::json& j) {
  if (!j.is_array()) return Tensor(xt::xarray<double>(j.get<double>()));
  std::vector<double> flat;
  Shape shape;
  const nlohmann::json* level = &j;
  while (level->is_array()) {
    shape.push_back(level->size());
    level = &(*level)[0];
  }
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& x) {
    if (x.is_array())
      for (const auto& e : x) walk(e);
    else
      flat.push_back(x.get<double>());
  };
  walk(j);
  Tensor t = Tensor::from_shape(shape);
  std::copy(flat.begin(), flat.end(), t.begin());
  return t;
}

}  // namespace dagrad::test
