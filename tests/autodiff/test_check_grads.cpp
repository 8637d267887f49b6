#include <catch2/catch.hpp>

#include <cmath>

#include "support.hpp"

using namespace dagrad;

namespace {

enum class Bug { None, JvpScaled, VjpSigned, SlopeWithoutDerivative };

// erf′ as a primitive whose own derivative rules say "zero": a first derivative that is right at
// every point, and a second derivative that is wrong — the bug only the second-order check sees.
class FlatErfSlope : public Op {
 public:
  std::string name() const override { return "flat_erf_slope"; }
  Shape infer_shape(const std::vector<Shape>& in) const override { return in[0]; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    for (std::size_t i = 0; i < out.size(); ++i)
      out.data()[i] = 2 / std::sqrt(M_PI) * std::exp(-in[0]->data()[i] * in[0]->data()[i]);
  }
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>&, const Var&, const Var&) const override {
    return {Tangent::zero()};
  }
  Tangent jvp(const DiffContext&, const std::vector<Var>&, const Var&, const std::vector<Tangent>&) const override {
    return Tangent::zero();
  }
  Cost cost(const std::vector<Shape>& in, const Shape&) const override {
    return {static_cast<double>(size_of(in[0])), 0};
  }
};

// erf as a user adds it: a primitive whose rules are written with dagrad ops; `bug` breaks them.
class UserErf : public Op {
 public:
  explicit UserErf(Bug bug) : bug_(bug) {}
  std::string name() const override { return "user_erf"; }
  Shape infer_shape(const std::vector<Shape>& in) const override { return in[0]; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = std::erf(in[0]->data()[i]);
  }
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>& in, const Var&, const Var& ct) const override {
    return {(bug_ == Bug::VjpSigned ? -1.0 : 1.0) * ct * slope(in[0])};
  }
  Tangent jvp(const DiffContext&, const std::vector<Var>& in, const Var&,
              const std::vector<Tangent>& t) const override {
    return (bug_ == Bug::JvpScaled ? 1.01 : 1.0) * t[0].var() * slope(in[0]);
  }
  Cost cost(const std::vector<Shape>& in, const Shape&) const override {
    return {20.0 * static_cast<double>(size_of(in[0])), 0};
  }

 private:
  Var slope(const Var& x) const {
    if (bug_ == Bug::SlopeWithoutDerivative) return x.graph().apply(std::make_shared<FlatErfSlope>(), {x});
    return (2 / std::sqrt(M_PI)) * exp(-square(x));
  }
  Bug bug_;
};

GradCheckFunction user_erf(Bug bug) {
  return [bug](const std::vector<Var>& x) { return x[0].graph().apply(std::make_shared<UserErf>(bug), {x[0]}); };
}

const std::vector<Tensor> kPoint{Tensor{-1.2, -0.3, 0.4, 1.5}};

}  // namespace

TEST_CASE("check_grads passes a correct user-defined primitive and agrees with dagrad's own erf",
          "[autodiff][check_grads]") {
  GradCheckReport report = check_grads(user_erf(Bug::None), kPoint);
  CHECK(report.jvp_vs_differences < 1e-8);
  CHECK(report.transpose_gap < 1e-14);
  CHECK(report.forward_vs_reverse == 0);
  CHECK(report.hvp_vs_differences < 1e-7);
  check_grads([](const std::vector<Var>& x) { return erf(x[0]) * x[1]; }, {kPoint[0], Tensor{0.5, 1.0, -2.0, 3.0}});
}

TEST_CASE("check_grads names each broken rule: jvp, vjp, and a derivative missing at second order",
          "[autodiff][check_grads]") {
  CHECK_THROWS_WITH(check_grads(user_erf(Bug::JvpScaled), kPoint),
                    Catch::Contains("jvp vs central differences") && Catch::Contains("transpose identity"));
  CHECK_THROWS_WITH(check_grads(user_erf(Bug::VjpSigned), kPoint),
                    Catch::Contains("transpose identity") && !Catch::Contains("jvp vs central"));
  // First order is right everywhere, so only the Hessian-vector product can catch it.
  GradCheckOptions first_order;
  first_order.order = 1;
  CHECK_NOTHROW(check_grads(user_erf(Bug::SlopeWithoutDerivative), kPoint, first_order));
  CHECK_THROWS_WITH(check_grads(user_erf(Bug::SlopeWithoutDerivative), kPoint),
                    Catch::Contains("hvp vs central differences") && !Catch::Contains("transpose"));
  // Modes switch checks off: forward only cannot see a wrong vjp.
  GradCheckOptions forward_only;
  forward_only.reverse = false;
  forward_only.order = 1;
  CHECK_NOTHROW(check_grads(user_erf(Bug::VjpSigned), kPoint, forward_only));
}

TEST_CASE("check_grads refuses what it cannot check", "[autodiff][check_grads][errors]") {
  CHECK_THROWS_AS(check_grads(user_erf(Bug::None), {}), GradCheckError);
  GradCheckOptions third;
  third.order = 3;
  CHECK_THROWS_WITH(check_grads(user_erf(Bug::None), kPoint, third), Catch::Contains("order must be 1 or 2"));
  CHECK_THROWS_WITH(check_grads([](const std::vector<Var>&) { return Var(); }, kPoint),
                    Catch::Contains("f must return a node"));
}
