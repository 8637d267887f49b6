#include <cmath>
#include <sstream>

#include <xtensor-blas/xlinalg.hpp>

#include "analysis/studies.hpp"
#include "models/models.hpp"
#include "optim/gradient_program.hpp"
#include "optim/optimizer.hpp"

namespace dagrad::analysis {

Tensor min_nuclear_norm_completion(const Tensor& M, const Tensor& mask, Scalar tolerance) {
  Tensor observed = M * mask, X = xt::zeros_like(M);
  Scalar lambda = spectrum(observed).singular_values(0);
  // Continuation: each λ is solved to a small change, then shrunk, down to a negligible λ.
  for (; lambda > tolerance; lambda *= 0.5) {
    for (int k = 0; k < 500; ++k) {
      Tensor Z = observed + (1.0 - mask) * X;
      auto [U, S, Vt] = xt::linalg::svd(Z, false);
      Tensor shrunk = xt::maximum(S - lambda, 0.0);
      Tensor next = xt::linalg::dot(U * shrunk, Vt);
      Scalar change = xt::linalg::norm(Tensor(next - X)) / std::max<Scalar>(1e-300, xt::linalg::norm(next));
      X = next;
      if (change < tolerance) break;
    }
  }
  return X;
}

StudyResult factorization_study(const FactorizationOptions& o) {
  StudyResult r;
  r.name = "factorization";
  r.claim = "Gunasekar et al. 2017; Arora et al. 2019: matrix completion by depth-N factorizations from small initialisation: "
            "depth >= 3 recovers unobserved entries far better than depth 2, which beats depth 1; deeper has lower effective rank";
  std::ostringstream m;
  m.precision(3);
  bool holds = true;
  for (std::size_t observed : o.observed) {
    Completion c = matrix_completion(o.size, o.size, o.rank, observed, o.seed);
    Tensor reference = min_nuclear_norm_completion(c.M, c.mask);
    Scalar ref_error = xt::linalg::norm(Tensor(reference - c.M)) / xt::linalg::norm(c.M);
    r.add("depth", 0);  // depth 0: the convex reference
    r.add("observed", static_cast<Scalar>(observed));
    r.add("init_scale", 0);
    r.add("reconstruction_error", ref_error);
    r.add("nuclear_norm", nuclear_norm(reference));
    r.add("effective_rank", effective_rank(reference));
    m << observed << " observed: min-nuclear-norm error " << ref_error << " (nuclear " << nuclear_norm(reference) << ", eff. rank "
      << effective_rank(reference) << ")";
    for (Scalar init : o.init_scales) {
      std::vector<Scalar> errors, ranks;
      for (std::size_t depth : o.depths) {
        Graph g;
        models::Model f = models::factorization(g, o.size, o.size, depth, depth == 1 ? 0 : init);
        Var loss = 0.5 * sum(g.constant(c.mask, "mask") * square(f.output - g.constant(c.M, "M")));
        ParamStore store(g, o.seed + depth);
        optim::GradientProgram objective(g, loss, store, {}, {f.output});
        optim::GradientDescent gd({optim::constant(depth == 1 ? 1 : o.lr)});
        for (std::size_t t = 0; t < o.steps; ++t) {
          objective.run();
          gd.step(store);
        }
        objective.run();
        Tensor W = objective.program().get(f.output);
        Scalar error = xt::linalg::norm(Tensor(W - c.M)) / xt::linalg::norm(c.M);
        errors.push_back(error);
        ranks.push_back(effective_rank(W));
        r.add("depth", static_cast<Scalar>(depth));
        r.add("observed", static_cast<Scalar>(observed));
        r.add("init_scale", init);
        r.add("reconstruction_error", error);
        r.add("nuclear_norm", nuclear_norm(W));
        r.add("effective_rank", ranks.back());
        m << "; depth " << depth << " (init " << init << "): error " << error << ", eff. rank " << ranks.back();
      }
      for (std::size_t k = 1; k < errors.size(); ++k) holds = holds && errors[k] < errors[k - 1] && ranks[k] < ranks[k - 1] + 1e-9;
      if (errors.size() >= 3) holds = holds && errors[2] < 0.5 * errors[1];  // "far better"
    }
    m << ". ";
  }
  r.measured = m.str();
  r.holds = holds;
  return r;
}

}  // namespace dagrad::analysis
