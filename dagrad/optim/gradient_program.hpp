#pragma once
// The program every training loop needs: a scalar loss and its gradient with respect to some of a
// store's parameters, compiled once; run() leaves the gradient in store.grads() for an optimizer.
#include <memory>
#include <vector>

#include "dagrad/autodiff/autodiff.hpp"
#include "dagrad/program/program.hpp"

namespace dagrad::optim {

class GradientProgram {
 public:
  // params: empty means every parameter of the store. extra_outputs stay readable after run().
  // policy: how nonsmooth ops pick their derivative at kinks (Clarke unless told).
  GradientProgram(Graph& g, const Var& loss, ParamStore& store, std::vector<Var> params = {},
                  const std::vector<Var>& extra_outputs = {}, const SubgradientPolicy& policy = {});
  Scalar run();  // the loss; the gradient is now in store.grads()
  Program& program() { return *program_; }
  const std::vector<Var>& params() const { return params_; }

 private:
  ParamStore& store_;
  Var loss_;
  std::vector<Var> params_, grads_;
  std::unique_ptr<Program> program_;
  std::vector<bool> copied_;  // gradients copied into the store after a run (the rest are written there)
};

}  // namespace dagrad::optim
