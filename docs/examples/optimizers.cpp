// docs/examples/optimizers.cpp
// Every optimizer family on one least-squares problem, and parameter groups with their own step.
#include <dagrad/dagrad.hpp>
#include <dagrad/optim/gradient_program.hpp>
#include <dagrad/optim/optimizer.hpp>

#include <iostream>

using namespace dagrad;

// ½‖A w + b − t‖²: the loss and a program that writes its gradient into the store.
struct LeastSquares {
  Graph g;
  Var w = g.parameter("w", {2}, Init::zeros()), b = g.parameter("b", {}, Init::zeros());
  Var loss = 0.5 * sum(square(matmul(g.constant(Tensor{{1.0, 2.0}, {3.0, -1.0}, {0.5, 0.5}}), w) + b -
                              g.constant(Tensor{1.0, 2.0, 3.0})));
  ParamStore store{g, 0};
  optim::GradientProgram program{g, loss, store};
};

int main() {
  bool ok = true;
  for (const char* name : {"gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "normalized_gd"}) {
    LeastSquares problem;
    std::unique_ptr<optim::Optimizer> optimizer = optim::make_optimizer(name, {optim::constant(0.02)});
    double first = problem.program.run(), last = first;
    for (int step = 0; step < 2000; ++step) {
      optimizer->step(problem.store);  // steps the parameters whose gradients the last run wrote
      last = problem.program.run();
    }
    std::cout << name << ": loss " << first << " -> " << last << "\n";
    ok = ok && last < 0.5 * first;
  }
  // Parameter groups: the bias gets its own step and no weight decay, as in torch.optim.
  LeastSquares problem;
  optim::Options options{optim::constant(0.02), /*weight_decay=*/1e-3};
  options.groups = {{{problem.w}}, {{problem.b}, optim::constant(0.1), /*weight_decay=*/0.0}};
  optim::Adam adam(options);
  for (int step = 0; step < 2000; ++step) {
    problem.program.run();
    adam.step(problem.store);
  }
  std::cout << "adam with groups: loss " << problem.program.run() << "\n";
  return ok ? 0 : 1;
}
