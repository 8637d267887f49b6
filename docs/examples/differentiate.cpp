// docs/examples/differentiate.cpp
// f(x) = Σ tanh(x)², differentiated four ways and compared with the closed forms.
#include <dagrad/dagrad.hpp>

#include <cmath>
#include <iostream>

using namespace dagrad;

int main() {
  Graph g;
  Var x = g.input("x", {3});
  Var v = g.input("v", {3});         // a tangent; seeds are inputs, so one Program serves every seed
  Var f = sum(square(tanh(x)));      // a scalar
  Var df = grad(f, x);               // reverse mode: ∇f
  Var jv = jvp(f, x, v);             // forward mode: ⟨∇f, v⟩
  Var hv = hvp(f, {x}, {v})[0];      // forward over reverse: H v
  Var J = jacobian(tanh(x), x);      // 3×3; Mode::Auto picks forward or reverse by shape
  Program p(g, {f, df, jv, hv, J});  // compiles the pruned schedule once
  p.set(x, Tensor{0.5, -1.0, 2.0});
  p.set(v, Tensor{1.0, 0.0, 0.0});
  p.run();

  double t = std::tanh(0.5), s = 1 - t * t;  // f' = 2ts, f'' = 2s² − 4t²s (per coordinate)
  bool ok = std::abs(p.get(df)(0) - 2 * t * s) < 1e-12 && std::abs(p.scalar(jv) - 2 * t * s) < 1e-12 &&
            std::abs(p.get(hv)(0) - (2 * s * s - 4 * t * t * s)) < 1e-12 && std::abs(p.get(J)(0, 0) - s) < 1e-12 &&
            p.get(J)(0, 1) == 0;
  std::cout << "df/dx0 = " << p.get(df)(0) << ", (Hv)0 = " << p.get(hv)(0)
            << (ok ? ": as the closed forms\n" : ": WRONG\n");
  return ok ? 0 : 1;
}
