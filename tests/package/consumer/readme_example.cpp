// The README's example, compiled and run by the package test against the installed library.
#include <dagrad/dagrad.hpp>
#include <iostream>
using namespace dagrad;

int main() {
  Graph g;                                                  // append-only DAG of tensor ops
  Var x = g.input("x", {4, 2}), y = g.input("y", {4});      // data enter as inputs
  Var W = g.parameter("W", {2, 8}, Init::glorot_normal());  // trainable, seeded init
  Var v = g.parameter("v", {8}, Init::normal(0, 0.5));
  Var loss = logistic_loss(matmul(tanh(matmul(x, W)), v), y);  // a scalar
  std::vector<Var> dW_dv = grad(loss, {W, v});                 // reverse mode adds nodes to g
  Var u = g.input("u", {2, 8});                                // seeds are inputs too
  Var Hu = hvp(loss, {W, v}, {u, zeros(g, {8})})[0];           // forward-over-reverse
  ParamStore params(g, /*seed=*/42);                           // every parameter, one buffer
  Program prog(g, {loss, dW_dv[0], dW_dv[1], Hu});             // pruned schedule, planned memory
  prog.bind(params);
  prog.set(x, Tensor{{1, 2}, {-1, 0.5}, {0.3, -2}, {2, 2}});
  prog.set(y, Tensor{1, -1, -1, 1});
  prog.set(u, xt::ones<double>({2, 8}));
  for (int step = 0; step < 100; ++step) {  // plain gradient descent
    prog.run();
    for (std::size_t i = 0; i < 16; ++i) params.value(W).flat(i) -= 0.5 * prog.view(dW_dv[0]).flat(i);
    for (std::size_t i = 0; i < 8; ++i) params.value(v).flat(i) -= 0.5 * prog.view(dW_dv[1]).flat(i);
  }
  std::cout << "loss " << prog.scalar(loss) << ", flops/run " << prog.stats().per_run.flops << "\n";
}
