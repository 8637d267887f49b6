// docs/examples/diagnostics.cpp
// Diagnostics: gradient descent on the logistic loss over separable data turns toward the hard-margin
// SVM direction (Soudry et al. 2018); the angle and normalized margin say how far it has come.
#include <dagrad/analysis/analysis.hpp>
#include <dagrad/dagrad.hpp>
#include <dagrad/optim/gradient_program.hpp>

#include <iostream>

using namespace dagrad;

int main() {
  analysis::Classification data = analysis::separable_data(/*n=*/30, /*d=*/3, /*margin=*/0.2, /*seed=*/0);
  analysis::SvmSolution svm = analysis::hard_margin_svm(data.X, data.y);

  Graph g;
  Var w = g.parameter("w", {3}, Init::zeros());
  Var loss = logistic_loss(matmul(g.constant(data.X), w), g.constant(data.y));
  ParamStore store(g, 0);
  optim::GradientProgram program(g, loss, store);
  double early_angle = 0;
  for (int step = 1; step <= 20000; ++step) {
    program.run();
    for (std::size_t i = 0; i < 3; ++i) store.values()[i] -= 1.0 * store.grads()[i];
    if (step == 100) early_angle = analysis::angle(Tensor(store.value(w)), svm.w);
  }
  double late_angle = analysis::angle(Tensor(store.value(w)), svm.w);
  std::cout << "angle to the SVM direction: " << early_angle << " rad at step 100, " << late_angle
            << " at step 20000; normalized margin "
            << analysis::normalized_margin(Tensor(store.value(w)), data.X, data.y) << " of the SVM's "
            << analysis::normalized_margin(svm.w, data.X, data.y) << "\n";
  return late_angle < early_angle ? 0 : 1;
}
