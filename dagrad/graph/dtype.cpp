#include "dagrad/graph/dtype.hpp"

namespace dagrad {

DAGRAD_VECTOR_CLONES void round_in_place(DType dtype, Scalar* data, std::size_t n) {
  if (dtype == DType::Float32) {
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<Scalar>(static_cast<float>(data[i]));
  } else if (dtype == DType::BFloat16) {
    for (std::size_t i = 0; i < n; ++i)
      data[i] = static_cast<Scalar>(from_bfloat16_bits(bfloat16_bits(static_cast<float>(data[i]))));
  }
}

DAGRAD_VECTOR_CLONES void round_in_place(DType dtype, float* data, std::size_t n) {
  if (dtype == DType::BFloat16)
    for (std::size_t i = 0; i < n; ++i) data[i] = from_bfloat16_bits(bfloat16_bits(data[i]));
}

DAGRAD_VECTOR_CLONES void narrow_to_float(const Scalar* from, std::size_t n, float* to) {
  for (std::size_t i = 0; i < n; ++i) to[i] = static_cast<float>(from[i]);
}

DAGRAD_VECTOR_CLONES void widen_to_scalar(const float* from, std::size_t n, Scalar* to) {
  for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
}

DAGRAD_VECTOR_CLONES void bfloat16_halves(const float* from, std::size_t n, std::uint16_t* to) {
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, from + i, sizeof bits);
    to[i] = static_cast<std::uint16_t>(bits >> 16);
  }
}

}  // namespace dagrad
