#include "dagrad/ops/onednn.hpp"

#include <algorithm>
#include <atomic>
#include <vector>

#include "dagrad/graph/error.hpp"

#ifdef DAGRAD_HAS_ONEDNN
#include <omp.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>
#endif

namespace dagrad {
namespace {
std::atomic<bool> onednn_on{true};
std::atomic<std::size_t> calls_run{0};
}  // namespace

#ifdef DAGRAD_HAS_ONEDNN
namespace {
std::atomic<int> threads_wanted{0};  // 0: OpenMP's own default, untouched
// OpenMP starts at the first oneDNN call, not when the thread count is set: LLVM's libomp (the
// clang sanitizer build links it) creates a shared-memory file when it starts, which is fatal under
// a file-size limit (tests/apps/test_hostile.cpp) even in a run that never calls oneDNN.
void apply_threads() {
  thread_local int applied = 0;
  const int wanted = threads_wanted;
  if (wanted != 0 && wanted != applied) omp_set_num_threads(wanted), applied = wanted;
}
}  // namespace
bool onednn_built() { return true; }
void set_onednn_threads(int threads) { threads_wanted = threads; }
#else
bool onednn_built() { return false; }
void set_onednn_threads(int) {}
#endif
void use_onednn(bool on) { onednn_on = on; }
bool onednn_enabled() { return onednn_built() && onednn_on; }
std::size_t onednn_calls() { return calls_run; }

namespace detail::onednn {

#ifdef DAGRAD_HAS_ONEDNN
namespace {

using dnnl::memory;
using Dims = memory::dims;
using Tag = memory::format_tag;
using DataType = memory::data_type;

struct Engine {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};
Engine& cpu() {
  thread_local Engine e;
  return e;
}

// An operand in the caller's plain float32 layout and where the primitive wants it (a blocked
// layout, bfloat16 for bfloat16 operands): one reorder between the two, none when they agree.
struct Staged {
  memory user, inner;
  dnnl::reorder to_inner, to_user;
  bool same = false;
  Staged() = default;
  Staged(const memory::desc& user_desc, const memory::desc& inner_desc, bool input) {
    Engine& e = cpu();
    user = memory(user_desc, e.engine, DNNL_MEMORY_NONE);
    same = user_desc == inner_desc;
    inner = same ? user : memory(inner_desc, e.engine);
    if (same) return;
    if (input)
      to_inner = dnnl::reorder(user, inner);
    else
      to_user = dnnl::reorder(inner, user);
  }
  const memory& stage_in(const float* data) {
    user.set_data_handle(const_cast<float*>(data));
    if (!same) to_inner.execute(cpu().stream, user, inner);
    return inner;
  }
  const memory& target(float* data) {
    user.set_data_handle(data);
    return inner;
  }
  void stage_out() {
    if (!same) to_user.execute(cpu().stream, inner, user);
  }
};

memory::desc plain(const Dims& dims, DataType type = DataType::f32) {
  return {dims, type, dims.size() == 4 ? Tag::abcd : Tag::ab};
}

using Key = std::array<std::int64_t, 12>;

struct ConvForward {
  dnnl::convolution_forward conv;
  Staged x, w, y;
};

struct ConvWeightGrad {
  dnnl::convolution_backward_weights conv;
  Staged x, g, dw;
};

struct ConvDims {
  Dims x, w, y, strides{1, 1}, padding;
};
ConvDims conv_dims(const Shape& xs, const Shape& ws, std::size_t ph, std::size_t pw) {
  auto d = [](std::size_t v) { return static_cast<memory::dim>(v); };
  return {{d(xs[0]), d(xs[1]), d(xs[2]), d(xs[3])},
          {d(ws[0]), d(ws[1]), d(ws[2]), d(ws[3])},
          {d(xs[0]), d(ws[0]), d(xs[2] + 2 * ph - ws[2] + 1), d(xs[3] + 2 * pw - ws[3] + 1)},
          {1, 1},
          {d(ph), d(pw)}};
}

dnnl::convolution_forward::primitive_desc forward_desc(const ConvDims& c, DataType in) {
  memory::desc x(c.x, in, Tag::any), w(c.w, in, Tag::any), y(c.y, DataType::f32, Tag::any);
  dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, x, w, y,
                                    c.strides, c.padding, c.padding);
  return {d, cpu().engine};
}

// A case's primitive, made once per thread; null when oneDNN has no kernel for it (the caller's own
// kernel runs, now and later).
template <class Entry, class Make>
Entry* cached(std::map<Key, std::unique_ptr<Entry>>& cache, const Key& key, Make make) {
  auto [it, fresh] = cache.try_emplace(key);
  if (fresh) try {
      it->second = std::make_unique<Entry>(make());
    } catch (const dnnl::error&) {
    }
  return it->second.get();
}

Key conv_key(int kind, const Shape& xs, const Shape& ws, std::size_t ph, std::size_t pw, bool bfloat16) {
  auto d = [](std::size_t v) { return static_cast<std::int64_t>(v); };
  return {kind, d(xs[0]), d(xs[1]), d(xs[2]), d(xs[3]), d(ws[0]), d(ws[2]), d(ws[3]), d(ph), d(pw), bfloat16, 0};
}

}  // namespace

bool conv2d(const float* x, const Shape& xs, const float* w, const Shape& ws, std::size_t ph, std::size_t pw, float* y,
            bool bfloat16) {
  if (!onednn_enabled() || size_of(xs) == 0 || size_of(ws) == 0) return false;
  apply_threads();
  thread_local std::map<Key, std::unique_ptr<ConvForward>> cache;
  ConvForward* f = cached(cache, conv_key(0, xs, ws, ph, pw, bfloat16), [&] {
    const ConvDims c = conv_dims(xs, ws, ph, pw);
    auto pd = forward_desc(c, bfloat16 ? DataType::bf16 : DataType::f32);
    return ConvForward{dnnl::convolution_forward(pd), Staged(plain(c.x), pd.src_desc(), true),
                       Staged(plain(c.w), pd.weights_desc(), true), Staged(plain(c.y), pd.dst_desc(), false)};
  });
  if (!f) return false;
  f->conv.execute(
      cpu().stream,
      {{DNNL_ARG_SRC, f->x.stage_in(x)}, {DNNL_ARG_WEIGHTS, f->w.stage_in(w)}, {DNNL_ARG_DST, f->y.target(y)}});
  f->y.stage_out();
  cpu().stream.wait();
  ++calls_run;
  return true;
}

bool conv2d_weight_grad(const float* x, const Shape& xs, const float* g, const Shape& gs, const Shape& ws,
                        std::size_t ph, std::size_t pw, float* dw, bool bfloat16) {
  if (!onednn_enabled() || size_of(xs) == 0 || size_of(gs) == 0 || size_of(ws) == 0) return false;
  apply_threads();
  thread_local std::map<Key, std::unique_ptr<ConvWeightGrad>> cache;
  ConvWeightGrad* b = cached(cache, conv_key(1, xs, ws, ph, pw, bfloat16), [&] {
    const ConvDims c = conv_dims(xs, ws, ph, pw);
    const DataType in = bfloat16 ? DataType::bf16 : DataType::f32;
    memory::desc xd(c.x, in, Tag::any), dwd(c.w, DataType::f32, Tag::any), gd(c.y, in, Tag::any);
    dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, xd, dwd, gd, c.strides, c.padding,
                                               c.padding);
    dnnl::convolution_backward_weights::primitive_desc pd(d, cpu().engine, forward_desc(c, in));
    return ConvWeightGrad{dnnl::convolution_backward_weights(pd), Staged(plain(c.x), pd.src_desc(), true),
                          Staged(plain(c.y), pd.diff_dst_desc(), true),
                          Staged(plain(c.w), pd.diff_weights_desc(), false)};
  });
  if (!b) return false;
  b->conv.execute(cpu().stream, {{DNNL_ARG_SRC, b->x.stage_in(x)},
                                 {DNNL_ARG_DIFF_DST, b->g.stage_in(g)},
                                 {DNNL_ARG_DIFF_WEIGHTS, b->dw.target(dw)}});
  b->dw.stage_out();
  cpu().stream.wait();
  ++calls_run;
  return true;
}

namespace {
struct Matmul {
  dnnl::matmul product;
  memory a, b, c;
};

// The upper half of each float32: exact, since the values are bfloat16 numbers.
void to_bfloat16(const float* from, std::size_t n, std::vector<std::uint16_t>& to) {
  if (to.size() < n) to.resize(n);
  bfloat16_halves(from, n, to.data());
}
}  // namespace

bool matmul_bfloat16(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a, std::size_t lda,
                     const float* b, std::size_t ldb, float* c) {
  if (!onednn_enabled() || m == 0 || n == 0 || k == 0) return false;
  apply_threads();
  thread_local std::map<Key, std::unique_ptr<Matmul>> cache;
  auto d = [](std::size_t v) { return static_cast<memory::dim>(v); };
  Matmul* p = cached(cache, {2, ta, tb, d(m), d(n), d(k), d(lda), d(ldb), 0, 0, 0, 0}, [&] {
    // op(A) is m × k: A itself is stored m × k (row stride lda) or k × m (transposed).
    memory::desc ad({d(m), d(k)}, DataType::bf16, ta ? Dims{1, d(lda)} : Dims{d(lda), 1});
    memory::desc bd({d(k), d(n)}, DataType::bf16, tb ? Dims{1, d(ldb)} : Dims{d(ldb), 1});
    memory::desc cd({d(m), d(n)}, DataType::f32, Dims{d(n), 1});
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(ad, bd, cd), cpu().engine);
    return Matmul{dnnl::matmul(pd), memory(ad, cpu().engine, DNNL_MEMORY_NONE),
                  memory(bd, cpu().engine, DNNL_MEMORY_NONE), memory(cd, cpu().engine, DNNL_MEMORY_NONE)};
  });
  if (!p) return false;
  thread_local std::vector<std::uint16_t> a16, b16;
  to_bfloat16(a, (ta ? k : m) * lda, a16);
  to_bfloat16(b, (tb ? n : k) * ldb, b16);
  p->a.set_data_handle(a16.data());
  p->b.set_data_handle(b16.data());
  p->c.set_data_handle(c);
  p->product.execute(cpu().stream, {{DNNL_ARG_SRC, p->a}, {DNNL_ARG_WEIGHTS, p->b}, {DNNL_ARG_DST, p->c}});
  cpu().stream.wait();
  ++calls_run;
  return true;
}

#else  // built without oneDNN: every case runs the caller's own kernel

bool conv2d(const float*, const Shape&, const float*, const Shape&, std::size_t, std::size_t, float*, bool) {
  return false;
}
bool conv2d_weight_grad(const float*, const Shape&, const float*, const Shape&, const Shape&, std::size_t, std::size_t,
                        float*, bool) {
  return false;
}
bool matmul_bfloat16(bool, bool, std::size_t, std::size_t, std::size_t, const float*, std::size_t, const float*,
                     std::size_t, float*) {
  return false;
}

#endif

}  // namespace detail::onednn

bool detail::onednn_float_kernel(const Kernel& kernel, const std::vector<const View*>& in, View& out, DType dtype) {
  if (!onednn_enabled()) return false;
  thread_local std::vector<std::vector<float>> copies;
  thread_local std::vector<FloatBuffer> buffers;
  thread_local std::vector<const FloatBuffer*> pointers;
  thread_local std::vector<float> result;
  copies.resize(std::max(copies.size(), in.size()));
  buffers.resize(in.size());
  pointers.clear();
  for (std::size_t k = 0; k < in.size(); ++k) {
    const View& v = *in[k];
    copies[k].resize(v.size());
    narrow_to_float(v.data(), v.size(), copies[k].data());
    buffers[k] = {copies[k].data(), Shape(v.shape().begin(), v.shape().end()), dtype};
    pointers.push_back(&buffers[k]);
  }
  result.resize(out.size());
  FloatBuffer target{result.data(), Shape(out.shape().begin(), out.shape().end()), dtype};
  kernel.forward_float(pointers, target);
  widen_to_scalar(result.data(), result.size(), out.data());
  return true;
}
}  // namespace dagrad
