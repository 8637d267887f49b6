#pragma once
// Model builders: each adds a model to the graph its input lives in, registers its parameters with
// seeded initialisers, and returns the output with the parameters it made.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dagrad/autodiff/autodiff.hpp"
#include "dagrad/ops/ops.hpp"
#include "dagrad/params/param_store.hpp"
#include "dagrad/program/program.hpp"

namespace dagrad::models {

using Activation = std::function<Var(const Var&)>;

struct Model {
  Var output;
  std::vector<Var> params;
  // Inputs that must hold values derived from the parameters (the anchors w0 of a linearized
  // model); empty for ordinary models.
  std::vector<Var> anchors;
  // Joint initialisation on top of the per-parameter draws (balanced deep linear nets); may be empty.
  // Builders also register it with the graph (Graph::add_joint_init), so every ParamStore made
  // afterwards runs it; initialize() reruns it, with another seed if asked.
  std::function<void(ParamStore&, std::uint64_t seed)> joint_init;
  void initialize(ParamStore& store, std::uint64_t seed) const {
    if (joint_init) joint_init(store, seed);
  }
};

// Standard: W ~ N(0, 2/fan_in) (He), h ← σ(hW + b), f = α(hW_out + b_out) with W_out ~ N(0, 1/fan_in).
// NTK (Jacot et al. 2018): W ~ N(0, 1), h ← σ(hW/√fan_in + b), f = α·hW_out/√m.
// MeanField (Mei, Montanari & Nguyen 2018; Chizat & Bach 2018): as NTK but f = α·hW_out/m.
enum class Parameterization { Standard, NTK, MeanField };

struct MlpOptions {
  std::vector<std::size_t> hidden{64};
  std::size_t outputs = 1;
  Activation activation = [](const Var& h) { return relu(h); };
  Parameterization parameterization = Parameterization::Standard;
  Scalar alpha = 1;
  bool bias = true;
  std::string name = "mlp";
};
// x (n, d) → (n, outputs).
Model mlp(const Var& x, const MlpOptions& options);

// h(x) = (1/m) Σ_j a_j relu(b_jᵀ x): particles b_j (columns of b, (d, m)) on the unit sphere or
// Gaussian N(0, I/d), a_j ~ N(0, 1). x (n, d) → (n).
enum class ParticleInit { Sphere, Gaussian };
Model two_layer_relu(const Var& x, std::size_t width, ParticleInit init = ParticleInit::Sphere,
                     const std::string& name = "two_layer");

// Rows of x (n, dims[0]) → x·W_1·W_2 ⋯ W_L (n, dims.back()); W_j is (dims[j−1], dims[j]), the (in, out)
// layout of every dagrad model (the papers' maps are the transposes: x ↦ W_Lᵀ ⋯ W_1ᵀ x).
// Balanced: in the papers' form W_{j+1}ᵀW_{j+1} = W_j W_jᵀ, i.e. W_{j+1}W_{j+1}ᵀ = W_jᵀW_j as stored,
// exactly at init (Arora, Cohen & Hazan 2018), built from the SVD of a Gaussian end-to-end matrix with
// entries of standard deviation `scale`.
enum class LinearInit { Gaussian, Orthogonal, Identity, Balanced };
Model deep_linear(const Var& x, const std::vector<std::size_t>& dims, LinearInit init, Scalar scale = 1,
                  const std::string& name = "deep_linear");

// Fully connected residual net: h = xW_in + b_in; each block h ← h + relu(hW1 + b1)W2 + b2;
// f = relu(h)W_out + b_out. x (n, d) → (n, outputs).
Model resnet_fc(const Var& x, std::size_t width, std::size_t blocks, std::size_t outputs,
                const std::string& name = "resnet");

// Convolutional residual net on images x (N, C, H, W): h = relu(conv3×3(x)); each block
// h ← relu(h + conv3×3(relu(conv3×3(h)))); global average pool; linear → (N, classes).
Model resnet_conv(const Var& x, std::size_t channels, std::size_t blocks, std::size_t classes,
                  const std::string& name = "convnet");

// Linear convolutional net (Gunasekar, Lee, Soudry & Srebro 2018): h ← h ⋆ w_l (circular
// cross-correlation, (h ⋆ w)[j] = Σ_i h[i] w[(i − j) mod d]) for l < depth, f = ⟨h, w_depth⟩, so that
// f(x) = ⟨x, β⟩ with the paper's end-to-end predictor β = w_1 ⊛ w_2 ⊛ … ⊛ w_depth (circular
// convolutions of the filters, in this order). x (n, d) → (n).
Model linear_conv_net(const Var& x, std::size_t depth, Scalar scale = 0.1, const std::string& name = "linear_conv");

// Depth-N matrix factorization W = W_N ⋯ W_1 of a (rows, cols) matrix with inner size `inner`
// (0: max(rows, cols)), each factor N(0, scale²). Output: the (rows, cols) product.
Model factorization(Graph& g, std::size_t rows, std::size_t cols, std::size_t depth, Scalar scale,
                    std::size_t inner = 0, const std::string& name = "factor");

// x W + b: x (n, d) → (n, outputs); with outputs = 1 and squeeze, (n) for margin losses.
Model linear(const Var& x, std::size_t outputs, bool squeeze = false, const std::string& name = "linear");

// The tangent (lazy) model T(w) = f(w0) + ∂f(w0)(w − w0) of any model: anchors are inputs w0.
Model linearized(const Model& model, const SubgradientPolicy& policy = {});
// Copies the store's current parameter values into the anchors (call once at initialisation).
void bind_anchors(const Model& linearized_model, Program& program, const ParamStore& store);

}  // namespace dagrad::models
