// docs/examples/clarke.cpp
// relu(x) − relu(−x) is x, so its derivative is 1 everywhere. At x = 0 PyTorch and JAX return 0 (they
// take relu′(0) = 0 on both branches); dagrad's default, the Clarke policy, returns 1 and says where
// it met kinks.
#include <dagrad/dagrad.hpp>

#include <iostream>

using namespace dagrad;

int main() {
  Graph g;
  Var x = g.input("x", {2});
  Var f = sum(relu(x) - relu(-x));
  Var clarke = grad(f, x);                                                         // Subgradient::Clarke{} by default
  Var convention = grad(f, x, Subgradient::Convention{/*relu_slope_at_zero=*/0});  // the PyTorch rule
  Program p(g, {clarke, convention});
  p.set(x, Tensor{0.0, 1.5});
  p.run();
  std::cout << "at x = 0: Clarke " << p.get(clarke)(0) << ", convention " << p.get(convention)(0) << "\n"
            << p.kink_report().summary();
  bool ok = p.get(clarke)(0) == 1 && p.get(convention)(0) == 0 && p.get(convention)(1) == 1 &&
            p.kink_report().kinks(KinkPolicy::Clarke) == 2 && p.kink_report().unresolved() == 0;
  return ok ? 0 : 1;
}
