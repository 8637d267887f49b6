#include <cmath>

#include <xtensor-blas/xlinalg.hpp>

#include "dagrad/models/models.hpp"

namespace dagrad::models {

Model deep_linear(const Var& x, const std::vector<std::size_t>& dims, LinearInit init, Scalar scale,
                  const std::string& name) {
  Graph& g = x.graph();
  if (dims.size() < 2) throw GraphError("deep_linear: needs at least an input and an output dimension");
  if (x.shape().size() != 2 || x.shape()[1] != dims[0])
    throw ShapeError("deep_linear: input '" + x.name() + "' " + to_string(x.shape()) + " must be (n, " +
                     std::to_string(dims[0]) + ")");
  Graph::NameScope scope(g, name);
  Model m;
  Var h = x;
  for (std::size_t j = 1; j < dims.size(); ++j) {
    Init each = init == LinearInit::Orthogonal ? Init::orthogonal(scale)
                : init == LinearInit::Identity ? Init::identity(scale)
                                               : Init::normal(0, scale);
    // (in, out), as every dagrad model stores a weight: rows of h map by h·W_j.
    Var w = g.parameter("W" + std::to_string(j), {dims[j - 1], dims[j]}, each);
    m.params.push_back(w);
    h = matmul(h, w);
  }
  m.output = h;
  if (init == LinearInit::Balanced) {
    std::vector<Var> params = m.params;
    std::vector<std::size_t> d = dims;
    m.joint_init = [params, d, scale](ParamStore& store, std::uint64_t seed) {
      // As maps (out, in): end-to-end W_e = U Σ Vᵀ; W_1 = Σ^{1/N} Vᵀ, middle factors Σ^{1/N}, W_N = U Σ^{1/N},
      // each padded with zeros, so W_{j+1}ᵀ W_{j+1} = W_j W_jᵀ = Σ^{2/N} (padded); stored transposed, (in, out).
      std::size_t N = params.size(), rows = d.back(), cols = d.front(), r = std::min(rows, cols);
      for (std::size_t k : d) r = std::min(r, k);
      Tensor e = Tensor::from_shape({rows, cols});
      View ev = make_view(e.data(), {rows, cols});
      draw_init(Init::normal(0, scale), seed, "balanced_end_to_end", ev);
      auto [U, S, Vt] = xt::linalg::svd(e, false);
      for (std::size_t j = 0; j < N; ++j) {
        Tensor w = xt::zeros<Scalar>({d[j + 1], d[j]});
        for (std::size_t a = 0; a < r; ++a) {
          Scalar s = std::pow(S(a), 1.0 / static_cast<Scalar>(N));
          if (N == 1) {
            for (std::size_t p = 0; p < d[1]; ++p)
              for (std::size_t q = 0; q < d[0]; ++q) w(p, q) += U(p, a) * S(a) * Vt(a, q);
          } else if (j == 0) {
            for (std::size_t q = 0; q < d[0]; ++q) w(a, q) = s * Vt(a, q);
          } else if (j == N - 1) {
            for (std::size_t p = 0; p < d[N]; ++p) w(p, a) = U(p, a) * s;
          } else {
            w(a, a) = s;
          }
        }
        store.set(params[j], Tensor(xt::transpose(w)));
      }
    };
    g.add_joint_init(m.params, m.joint_init);  // every ParamStore made on g now starts balanced
  }
  return m;
}

}  // namespace dagrad::models
