#include "optim/gradient_program.hpp"

namespace dagrad::optim {

GradientProgram::GradientProgram(Graph& g, const Var& loss, ParamStore& store, std::vector<Var> params,
                                 const std::vector<Var>& extra_outputs)
    : store_(store), loss_(loss), params_(params.empty() ? store.parameters() : std::move(params)) {
  grads_ = grad(loss, params_);
  std::vector<Var> outputs = grads_;
  outputs.push_back(loss);
  outputs.insert(outputs.end(), extra_outputs.begin(), extra_outputs.end());
  program_ = std::make_unique<Program>(g, outputs);
  program_->bind(store);
}

Scalar GradientProgram::run() {
  program_->run();
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const View& g = program_->view(grads_[i]);
    std::copy(g.begin(), g.end(), store_.grad(params_[i]).begin());
  }
  return program_->scalar(loss_);
}

}  // namespace dagrad::optim
