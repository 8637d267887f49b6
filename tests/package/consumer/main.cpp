#include <dagrad/dagrad.hpp>
#include <dagrad/optim/trainer.hpp>  // includes dagrad/data/dataset.hpp
#include <iostream>

#include "data/dataset.hpp"  // the consumer's own header of the same name

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
  consumer::Dataset own;
  dagrad::data::Dataset theirs;
  std::cout << "grad=" << std::round(p.scalar(dy)) << " own=" << own.examples << " theirs=" << theirs.classes
            << "\n";  // 3x² at √2
}
