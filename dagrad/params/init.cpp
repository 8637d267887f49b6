#include "dagrad/params/init.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include <xtensor-blas/xlinalg.hpp>

namespace dagrad {

std::string Init::describe() const {
  std::ostringstream s;
  switch (kind) {
    case Kind::Zeros:
      s << "zeros";
      break;
    case Kind::Constant:
      s << "constant(" << a << ")";
      break;
    case Kind::Normal:
      s << "normal(" << a << "," << b << ")";
      break;
    case Kind::Uniform:
      s << "uniform(" << a << "," << b << ")";
      break;
    case Kind::GlorotNormal:
      s << "glorot_normal";
      break;
    case Kind::GlorotUniform:
      s << "glorot_uniform";
      break;
    case Kind::HeNormal:
      s << "he_normal";
      break;
    case Kind::Orthogonal:
      s << "orthogonal(" << a << ")";
      break;
    case Kind::Identity:
      s << "identity(" << a << ")";
      break;
    case Kind::Sphere:
      s << "sphere(" << a << ")";
      break;
  }
  return s.str();
}

Init::operator Initializer() const {
  Init init = *this;
  return {describe(),
          [init](std::uint64_t seed, const std::string& name, View& out) { draw_init(init, seed, name, out); }};
}

namespace {

std::uint64_t mix(std::uint64_t seed, const std::string& name) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a over the name
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (h | 1);  // splitmix64 finaliser
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// mt19937_64's output is fixed by the standard; std::normal_distribution is not, so uniforms and
// Box-Muller are written here to make initial weights identical across standard libraries.
struct Rng {
  std::mt19937_64 engine;
  explicit Rng(std::uint64_t s) : engine(s) {}
  Scalar uniform() { return (static_cast<Scalar>(engine() >> 11) + 0.5) * 0x1.0p-53; }
  Scalar normal() {
    Scalar u1 = uniform(), u2 = uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }
};

// fan_in and fan_out of a weight laid out (in, out), the layout dagrad's models use for x·W.
std::pair<Scalar, Scalar> fans(const Shape& s) {
  if (s.empty()) return {1, 1};
  if (s.size() == 1) return {Scalar(s[0]), Scalar(s[0])};
  Scalar receptive = 1;
  for (std::size_t i = 2; i < s.size(); ++i) receptive *= Scalar(s[i]);
  return {Scalar(s[0]) * receptive, Scalar(s[1]) * receptive};
}

// Each column of a (d, m) matrix scaled to norm `radius`: Gaussian columns become uniform on the sphere.
void scale_columns_to(Scalar radius, View& out) {
  std::size_t rows = out.dimension() >= 1 ? out.shape()[0] : 1, cols = out.size() / std::max<std::size_t>(rows, 1);
  for (std::size_t j = 0; j < cols; ++j) {
    Scalar norm = 0;
    for (std::size_t i = 0; i < rows; ++i) norm += out.data()[i * cols + j] * out.data()[i * cols + j];
    norm = std::sqrt(norm);
    for (std::size_t i = 0; i < rows; ++i) out.data()[i * cols + j] *= radius / norm;
  }
}

void fill_identity(Scalar gain, View& out) {
  out.fill(0);
  for (std::size_t i = 0; i < std::min(out.shape()[0], out.shape()[1]); ++i) out(i, i) = gain;
}

// Q of a Gaussian matrix, sign-corrected by diag(R), is Haar distributed (Mezzadri 2007).
void fill_orthogonal(Scalar gain, Rng& rng, View& out) {
  std::size_t r = out.shape()[0], c = out.shape()[1];
  bool tall = r >= c;
  Tensor g = Tensor::from_shape({tall ? r : c, tall ? c : r});
  for (auto& x : g) x = rng.normal();
  auto [q, rr] = xt::linalg::qr(g);
  for (std::size_t j = 0; j < q.shape()[1]; ++j) {
    Scalar s = rr(j, j) < 0 ? -gain : gain;
    for (std::size_t i = 0; i < q.shape()[0]; ++i) q(i, j) *= s;
  }
  if (tall)
    xt::noalias(out) = q;
  else
    xt::noalias(out) = xt::transpose(q);
}

}  // namespace

void draw_init(const Init& init, std::uint64_t seed, const std::string& name, View& out) {
  Rng rng(mix(seed, name));
  auto [fan_in, fan_out] = fans(Shape(out.shape().begin(), out.shape().end()));
  auto fill = [&](auto draw) {
    for (auto& x : out) x = draw();
  };
  using K = Init::Kind;
  switch (init.kind) {
    case K::Zeros:
      fill([] { return Scalar(0); });
      break;
    case K::Constant:
      fill([&] { return init.a; });
      break;
    case K::Normal:
      fill([&] { return init.a + init.b * rng.normal(); });
      break;
    case K::Uniform:
      fill([&] { return init.a + (init.b - init.a) * rng.uniform(); });
      break;
    case K::GlorotNormal: {
      Scalar sd = init.a * std::sqrt(2 / (fan_in + fan_out));
      fill([&] { return sd * rng.normal(); });
      break;
    }
    case K::GlorotUniform: {
      Scalar lim = init.a * std::sqrt(6 / (fan_in + fan_out));
      fill([&] { return lim * (2 * rng.uniform() - 1); });
      break;
    }
    case K::HeNormal: {
      Scalar sd = init.a * std::sqrt(2 / fan_in);
      fill([&] { return sd * rng.normal(); });
      break;
    }
    case K::Sphere:
      fill([&] { return rng.normal(); });
      scale_columns_to(init.a, out);
      break;
    case K::Identity:
    case K::Orthogonal:
      if (out.dimension() != 2)
        throw GraphError("parameter '" + name + "': " + init.describe() + " initialisation needs a matrix, got shape " +
                         to_string(Shape(out.shape().begin(), out.shape().end())));
      if (init.kind == K::Identity)
        fill_identity(init.a, out);
      else
        fill_orthogonal(init.a, rng, out);
      break;
  }
}

}  // namespace dagrad
