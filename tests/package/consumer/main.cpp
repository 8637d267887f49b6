#include <dagrad/dagrad.hpp>
#include <iostream>

int main() {
  dagrad::Graph g;
  auto x = g.input("x", {});
  auto y = x * x * x;
  auto dy = dagrad::grad(y, x);
  dagrad::Program p(g, {dy});
  dagrad::Tensor v = dagrad::Tensor::from_shape({});
  v() = std::sqrt(2.0);
  p.set(x, v);
  p.run();
  std::cout << "grad=" << std::round(p.scalar(dy)) << "\n";  // 3x² at √2
}
