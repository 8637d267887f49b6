#include "dagrad/optim/gradient_program.hpp"

#include <utility>

namespace dagrad::optim {

GradientProgram::GradientProgram(Graph& g, const Var& loss, ParamStore& store, std::vector<Var> params,
                                 const std::vector<Var>& extra_outputs, const SubgradientPolicy& policy)
    : store_(store), loss_(loss), params_(params.empty() ? store.parameters() : std::move(params)) {
  grads_ = grad(loss, params_, policy);
  std::vector<Var> outputs = grads_;
  outputs.push_back(loss);
  outputs.insert(outputs.end(), extra_outputs.begin(), extra_outputs.end());
  // Parameters are read from the store and gradients written into it: neither gets arena memory.
  // A gradient that is not computed by an op (an unused parameter's zeros, the seed when the loss is
  // the parameter itself) or that two parameters share is copied after each run instead.
  ProgramOptions options;
  options.parameters_outside = true;
  std::vector<bool> taken(g.size(), false);
  copied_.assign(params_.size(), true);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Var& gv = grads_[i];
    if (g.node(gv.id()).role != Role::Op || taken[gv.id()]) continue;
    taken[gv.id()] = true;
    copied_[i] = false;
    options.outputs_outside.push_back({gv, store.grad_memory(params_[i])});
    // A float32 or bfloat16 store's gradients are made in its float32 memory (ParamStore).
    if (store.holds_float())
      options.float_outputs_outside.push_back({gv, store.float_grads() + store.offset(params_[i])});
  }
  options.float_outputs_store = &store;
  program_ = std::make_unique<Program>(g, outputs, options);
  program_->bind(store);
}

Scalar GradientProgram::run() {
  program_->run();
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Var& p = params_[i];
    store_.mark_grad_fresh(p);
    // Both sides of the store end holding the gradient where the program did not make it in float32.
    Scalar* wide = store_.grad_memory(p);
    if (copied_[i]) {
      const View& g = program_->view(grads_[i]);
      std::copy(g.begin(), g.end(), wide);
    }
    if (store_.holds_float() && (copied_[i] || !program_->made_in_float(grads_[i])))
      narrow_to_float(wide, p.size(), store_.float_grads() + store_.offset(p));
  }
  return program_->scalar(loss_);
}

}  // namespace dagrad::optim
