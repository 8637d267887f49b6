#include <algorithm>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// The piece selector of the elementwise nonsmooth ops: the lexicographic sign of (key0, key1, ...),
// with `tie` where all keys are zero. Its value is the recorded piece, per element. Optional gap
// keys describe how the two pieces differ (value and tangents of a − b for where); a tie that
// survives every key while a gap key is nonzero is unqualified: no direction decides it.
struct Step : PieceSelector {
  Scalar tie;
  std::size_t keys;
  std::string site_name;
  Step(Scalar t, std::size_t k, std::string s) : tie(t), keys(k), site_name(std::move(s)) {}
  std::string name() const override { return "step"; }
  std::string site() const override { return site_name; }
  std::string attributes() const override {
    std::string a = "tie=" + std::to_string(tie);
    if (!site_name.empty()) a += " site=" + site_name;
    return a;
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    if (in.size() < keys || keys == 0) throw ShapeMismatch{"needs at least one key"};
    for (const Shape& s : in)
      if (s != in[0]) throw ShapeMismatch{"all keys must have one shape"};
    return in[0];
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    select(in[0]->data(), in, out.data(), out.size());
  }
  bool selects_in_float() const override { return true; }
  bool forward_float_key(const FloatBuffer& key0, const std::vector<const View*>& in, FloatBuffer& out) const override {
    return select(key0.data, in, out.data, out.size());
  }
  bool uses_directions(std::size_t) const override { return keys > 1; }  // later inputs are gap keys
  bool has_kink(const std::vector<const View*>& in) const override { return any_zero(in[0]->data(), in[0]->size()); }
  bool has_kink_float(const FloatBuffer& key0) const override { return any_zero(key0.data, key0.size()); }
  KinkCount count_kinks(const std::vector<const View*>& in) const override {
    return count(in[0]->data(), in[0]->size(), in);
  }
  KinkCount count_kinks_float(const FloatBuffer& key0, const std::vector<const View*>& in) const override {
    return count(key0.data, key0.size(), in);
  }

  // The value key is float64 or float32 memory (forward_float_key); the pieces are written in the
  // key's type. Directional and gap keys (in[1...]) are float64 views either way. Returns whether
  // any value key was tied.
  template <class T>
  bool select(const T* key0, const std::vector<const View*>& in, T* po, std::size_t n) const {
    // On locals (a store through po could alias this->tie), with the tie test an OR-reduction
    // rather than a counter, so it vectorises (8x faster); kinks are rare, so the directional keys
    // are read in a second pass only when a zero key exists.
    const T at_tie = static_cast<T>(tie);
    int tied = 0;  // an int, not a bool, so the reduction vectorises with the selection
    for (std::size_t e = 0; e < n; ++e) {
      T k = key0[e];
      po[e] = k > 0 ? T(1) : (k == 0 ? at_tie : T(0));
      tied |= k == 0;
    }
    if (!tied) return false;
    for (std::size_t e = 0; e < n; ++e) {
      if (key0[e] != 0) continue;
      for (std::size_t j = 1; j < keys; ++j)  // only a kink reads the directional keys
        if (Scalar k = in[j]->data()[e]; k != 0) {
          po[e] = k > 0 ? T(1) : T(0);
          break;
        }
    }
    return true;
  }
  // Blocks of a vectorised reduction rather than std::find, whose early exit keeps it to one
  // element at a time: with no kink (the common case) every element is read either way.
  template <class T>
  static bool any_zero(const T* key0, std::size_t n) {
    constexpr std::size_t block = 512;
    for (std::size_t begin = 0; begin < n; begin += block) {
      int zero = 0;
      for (std::size_t e = begin, end = std::min(n, begin + block); e < end; ++e) zero |= key0[e] == 0;
      if (zero) return true;
    }
    return false;
  }
  template <class T>
  KinkCount count(const T* key0, std::size_t n, const std::vector<const View*>& in) const {
    KinkCount c;
    if (!any_zero(key0, n)) return c;
    for (std::size_t e = 0; e < n; ++e) {
      if (key0[e] != 0) continue;
      ++c.kinks;
      bool decided = false;
      for (std::size_t j = 1; j < keys && !decided; ++j) decided = in[j]->data()[e] != 0;
      if (decided) continue;
      ++c.unresolved;
      bool pieces_differ = false;
      for (std::size_t j = keys; j < in.size() && !pieces_differ; ++j) pieces_differ = in[j]->data()[e] != 0;
      c.unqualified += pieces_differ;
    }
    return c;
  }
  bool differentiable(std::size_t) const override { return false; }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost({in[0]}, out, 1);  // directional keys are read at kinks only
  }
};

}  // namespace

Var step(const std::vector<Var>& keys, Scalar tie, const std::string& site, const std::vector<Var>& gaps) {
  if (keys.empty()) throw GraphError("step needs at least one key");
  std::vector<Var> inputs = keys;
  inputs.insert(inputs.end(), gaps.begin(), gaps.end());
  return detail::make<Step>(inputs, tie, keys.size(), site);
}

DAGRAD_REGISTER_OP(step, true)

}  // namespace dagrad
