#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "dagrad/graph/dtype.hpp"
#include "dagrad/graph/tensor.hpp"
#include "dagrad/graph/var.hpp"

namespace dagrad {

struct Cost {
  double flops = 0;
  double bytes = 0;  // bytes read plus bytes written
  Cost& operator+=(const Cost& o) {
    flops += o.flops;
    bytes += o.bytes;
    return *this;
  }
};

// Raised by Kernel::infer_shape with the reason only; Graph adds op, node and input shapes.
struct ShapeMismatch {
  std::string reason;
};

// A buffer of float32 memory in a float32 or bfloat16 program (Kernel::forward_float).
struct FloatBuffer {
  float* data = nullptr;
  Shape shape;
  // The graph's dtype: under BFloat16 every value is a bfloat16 number, so a kernel may hand the
  // values to bfloat16 instructions (truncating to the upper 16 bits is exact).
  DType dtype = DType::Float32;
  std::size_t size() const { return size_of(shape); }
};

// What the graph and a Program need of an op: its shape rule, its kernel and its cost. Derivative
// rules are the ops layer's (ops/op.hpp: Op adds them), so the graph knows nothing of derivatives
// or of subgradient policies.
class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual std::string name() const = 0;
  // Attributes that distinguish instances (axes, exponents), printed by the text dump.
  virtual std::string attributes() const { return {}; }
  virtual Shape infer_shape(const std::vector<Shape>& inputs) const = 0;  // throws ShapeMismatch
  // Writes into a preallocated output of the inferred shape.
  virtual void forward(const std::vector<const View*>& inputs, View& out) const = 0;
  // The same in a float32 or bfloat16 graph (the inputs hold values of that dtype), before the
  // Program rounds the result to it. Kernels whose float64 algorithm would accumulate more exactly
  // than the dtype's own do override it (matmul calls sgemm, as PyTorch's float32 and bfloat16 do).
  virtual void forward_float32(const std::vector<const View*>& inputs, View& out, DType /*dtype*/) const {
    forward(inputs, out);
  }
  // Kernels that read and write float32 memory, for the ops that dominate training (GEMMs and the
  // elementwise glue around them): a float32 or bfloat16 program stores their intermediates in
  // float32, so no float64 copy is made or read (docs/design.md, "Precision"). The result must be
  // what forward_float32 gives, rounded to float32: bit for bit, so that the storage a Program picks
  // never changes a number. runs_in_float says for which shapes forward_float exists.
  virtual bool runs_in_float(const std::vector<Shape>& /*inputs*/, const Shape& /*out*/) const { return false; }
  virtual void forward_float(const std::vector<const FloatBuffer*>& inputs, FloatBuffer& out) const;
  virtual Cost cost(const std::vector<Shape>& inputs, const Shape& out) const = 0;
};

// Only called where runs_in_float said yes (the Program's plan asks it first).
inline void Kernel::forward_float(const std::vector<const FloatBuffer*>&, FloatBuffer&) const {
  throw std::logic_error(name() + ": forward_float without a float32 kernel");
}

}  // namespace dagrad
