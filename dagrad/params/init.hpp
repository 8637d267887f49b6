#pragma once
// Initialisation schemes for parameters, drawn reproducibly from (seed, parameter name), so one
// parameter's values never depend on which other parameters exist.
#include <cstdint>
#include <string>

#include "dagrad/graph/graph.hpp"

namespace dagrad {

// How a parameter is initialised; drawn reproducibly from (seed, parameter name) by ParamStore.
struct Init {
  enum class Kind {
    Zeros,
    Constant,
    Normal,
    Uniform,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    Orthogonal,
    Identity,
    Sphere
  };
  Kind kind = Kind::Normal;
  Scalar a = 0;  // mean, constant value, lower bound, or gain, by kind
  Scalar b = 1;  // standard deviation or upper bound, by kind
  static Init zeros() { return {Kind::Zeros, 0, 0}; }
  static Init constant(Scalar c) { return {Kind::Constant, c, 0}; }
  static Init normal(Scalar mean = 0, Scalar stddev = 1) { return {Kind::Normal, mean, stddev}; }
  static Init uniform(Scalar lo, Scalar hi) { return {Kind::Uniform, lo, hi}; }
  static Init glorot_normal() { return {Kind::GlorotNormal, 1, 0}; }
  static Init glorot_uniform() { return {Kind::GlorotUniform, 1, 0}; }
  static Init he_normal() { return {Kind::HeNormal, 1, 0}; }
  static Init orthogonal(Scalar gain = 1) { return {Kind::Orthogonal, gain, 0}; }
  static Init identity(Scalar gain = 1) { return {Kind::Identity, gain, 0}; }
  // Each column of a (d, m) matrix uniform on the sphere of this radius (particles of a two-layer net).
  static Init sphere(Scalar radius = 1) { return {Kind::Sphere, radius, 0}; }
  std::string describe() const;
  // What the graph keeps for a parameter made with this scheme: g.parameter(name, shape, Init::...).
  operator Initializer() const;
};

// Fills `out` from `init` with a deterministic generator seeded by (seed, name).
void draw_init(const Init& init, std::uint64_t seed, const std::string& name, View& out);

}  // namespace dagrad
