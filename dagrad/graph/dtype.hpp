#pragma once
// The precision a graph computes in. Values are held in float64 memory (parameters, inputs, outputs,
// optimizer state) or, for a float32 or bfloat16 program's intermediates that float32 kernels make,
// in float32 memory (Kernel::forward_float); every stored value is exactly representable in the
// dtype: each op's result is rounded to it when it is stored (the Program), as are inputs when set,
// constants, parameters when drawn or set, and optimizer updates and state. Which values are exactly equal, and so
// which kinks are met, is therefore the dtype's. Exceptions, each for a reason: operands read only as labels, indices
// or conditions stay exact (PyTorch's int64 labels); numbers (Graph::scalar) take the op-math type; Clarke's
// directional tangents stay float64 (ProgramOptions::wide_directions). docs/design.md
// ("Precision") says which memory is float32 and why the rest stays float64 for now.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "dagrad/graph/error.hpp"
#include "dagrad/graph/tensor.hpp"

namespace dagrad {

enum class DType { Float64, Float32, BFloat16 };

inline const char* to_string(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return "float32";
    case DType::BFloat16:
      return "bfloat16";
    default:
      return "float64";
  }
}

// "float64" | "float32" | "bfloat16"; a ValueError naming the choices otherwise.
inline DType parse_dtype(const std::string& name) {
  if (name == "float64") return DType::Float64;
  if (name == "float32") return DType::Float32;
  if (name == "bfloat16") return DType::BFloat16;
  throw ValueError("unknown dtype '" + name + "' (choose float64, float32 or bfloat16)");
}

// The spacing of the dtype's numbers just above 1 (torch.finfo(dtype).eps).
inline double epsilon(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return 0x1p-23;
    case DType::BFloat16:
      return 0x1p-7;
    default:
      return 0x1p-52;
  }
}

// Bytes a value of the dtype takes in a file (a checkpoint's .npy).
inline std::size_t storage_bytes(DType dtype) { return dtype == DType::Float64 ? 8 : dtype == DType::Float32 ? 4 : 2; }

// The bfloat16 nearest to `x`, ties to even (c10::BFloat16's rounding): the upper half of the
// float32 after adding 0x7FFF plus the lowest kept bit. NaN stays a quiet NaN.
inline std::uint16_t bfloat16_bits(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  // A select, not a branch, so that loops over it vectorize.
  const bool nan = (u & 0x7FFFFFFFu) > 0x7F800000u;
  const std::uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16, quiet = (u >> 16) | 0x0040u;
  return static_cast<std::uint16_t>(nan ? quiet : rounded);
}
inline float from_bfloat16_bits(std::uint16_t bits) {
  std::uint32_t u = static_cast<std::uint32_t>(bits) << 16;
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// `x` as the dtype stores it. A float64 value reaches bfloat16 through float32, as PyTorch's
// double-to-bfloat16 conversion does (two roundings, which can differ from one in a tie).
inline Scalar round_to(DType dtype, Scalar x) {
  switch (dtype) {
    case DType::Float32:
      return static_cast<Scalar>(static_cast<float>(x));
    case DType::BFloat16:
      return static_cast<Scalar>(from_bfloat16_bits(bfloat16_bits(static_cast<float>(x))));
    default:
      return x;
  }
}

// The loops over arrays that every float32 and bfloat16 step runs (rounding each result on store,
// the copies between float64 and float32 memory), in dtype.cpp: GCC compiles them once per x86-64
// level there and picks one when the program loads (target_clones), because the portable build's
// SSE2 rounds 4 values per instruction where AVX-512 rounds 16 (0.25 -> 0.06 ns per value measured).
// One loop per dtype, so that each vectorizes (a switch per element would not).
void round_in_place(DType dtype, Scalar* data, std::size_t n);
// The same for float32 memory (a float32 or bfloat16 program's intermediates): only bfloat16 rounds.
void round_in_place(DType dtype, float* data, std::size_t n);
// Between float64 memory holding values of a float32 or bfloat16 dtype and float32 memory: both
// exact. Through raw pointers: xtensor's iterators would cost several times the conversion itself.
void narrow_to_float(const Scalar* from, std::size_t n, float* to);
void widen_to_scalar(const float* from, std::size_t n, Scalar* to);
// The upper halves of float32 values that are bfloat16 numbers: their bfloat16 bit patterns, exactly.
void bfloat16_halves(const float* from, std::size_t n, std::uint16_t* to);

// GCC's per-ISA copies of a loop (see above); one copy elsewhere (clang: the sanitizer build).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define DAGRAD_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DAGRAD_VECTOR_CLONES
#endif

inline bool representable(DType dtype, Scalar x) { return std::isnan(x) || round_to(dtype, x) == x; }

// The type a dtype's arithmetic is done in when it is not its own (PyTorch's opmath type):
// bfloat16 computes in float32. Scalars that enter a graph as numbers (Graph::scalar) are kept in
// it, as PyTorch keeps a Python number in the op-math type rather than rounding it to bfloat16.
inline DType opmath(DType dtype) { return dtype == DType::BFloat16 ? DType::Float32 : dtype; }

}  // namespace dagrad
