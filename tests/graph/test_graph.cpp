#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;

namespace {

// A two-layer MLP, the graph the golden dump and the DOT test look at.
struct SmallMlp {
  Graph g;
  Var x, labels, w1, b1, w2, loss;
  SmallMlp() {
    x = g.input("x", {4, 3});
    labels = g.input("y", {4});
    {
      Graph::NameScope layer(g, "layer1");
      w1 = g.parameter("W", {3, 5}, Init::glorot_normal());
      b1 = g.parameter("b", {5}, Init::zeros());
    }
    w2 = g.parameter("W2", {5}, Init::normal(0, 0.1));
    Var h = relu(matmul(x, w1) + b1).named("hidden");
    loss = logistic_loss(matmul(h, w2), labels).named("loss");
  }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("text dump is stable (golden file)", "[graph][dump]") {
  SmallMlp m;
  grad(m.loss, m.w1);
  std::string dump = to_text(m.g);
  std::string golden_path = std::string(DAGRAD_TEST_DIR) + "/graph/golden/small_mlp.txt";
  if (std::getenv("DAGRAD_UPDATE_GOLDEN")) std::ofstream(golden_path) << dump;
  CHECK(dump == read_file(golden_path));
  // Dumping twice, or a second identical graph, gives the same text.
  SmallMlp other;
  grad(other.loss, other.w1);
  CHECK(to_text(other.g) == dump);
}

TEST_CASE("DOT export colours nodes by role and marks derivative nodes", "[graph][dot]") {
  SmallMlp m;
  Var gw = grad(m.loss, m.w1);
  std::ostringstream dot;
  write_dot(dot, m.g, {gw.id()});
  std::string s = dot.str();
  CHECK(s.rfind("digraph", 0) == 0);
  CHECK(s.find("fillcolor=lightblue") != std::string::npos);  // inputs
  CHECK(s.find("fillcolor=gold") != std::string::npos);       // parameters
  CHECK(s.find("fillcolor=lightgrey") != std::string::npos);  // constants
  CHECK(s.find("fillcolor=white") != std::string::npos);      // forward ops
  CHECK(s.find("fillcolor=pink") != std::string::npos);       // derivative ops
  CHECK(s.find("layer1/W") != std::string::npos);
  // Pruned to what the gradient needs: W2's gradient is not, so its name does not show as an output.
  std::ostringstream forward_only;
  write_dot(forward_only, m.g, {m.loss.id()});
  CHECK(forward_only.str().find("fillcolor=pink") == std::string::npos);
}

TEST_CASE("schedules are topological and pruned to what outputs need", "[graph]") {
  Graph g;
  Var a = g.input("a", {2}), b = g.input("b", {2});
  Var used = exp(a);
  Var unused = sin(b);
  Var out = used * 2.0;
  auto order = g.schedule({out.id()});
  std::vector<std::size_t> position(g.size(), SIZE_MAX);
  for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
  CHECK(position[unused.id()] == SIZE_MAX);
  CHECK(position[b.id()] == SIZE_MAX);
  for (NodeId id : order)
    for (NodeId in : g.node(id).inputs) CHECK(position[in] < position[id]);
  auto anc = g.ancestors({out.id()});
  CHECK(anc[a.id()]);
  CHECK_FALSE(anc[b.id()]);
  auto desc = g.descendants({b.id()});
  CHECK(desc[unused.id()]);
  CHECK_FALSE(desc[out.id()]);
}

TEST_CASE("graph misuse raises GraphError with names", "[graph][errors]") {
  Graph g1, g2;
  Var a = g1.input("a", {2}), b = g2.input("b", {2});
  CHECK_THROWS_AS(a + b, GraphError);
  try {
    a + b;
  } catch (const GraphError& e) {
    CHECK(std::string(e.what()).find("'b' belongs to another graph") != std::string::npos);
  }
  g1.parameter("W", {2});
  CHECK_THROWS_WITH(g1.parameter("W", {3}), Catch::Contains("parameter name 'W' is already taken"));
  CHECK_THROWS_AS(Var().shape(), GraphError);
  CHECK_THROWS_AS(g1.node(999), GraphError);
  CHECK_THROWS_WITH(g1.initializer(a.id()), Catch::Contains("'a'") && Catch::Contains("not a parameter"));
  // The graph keeps a parameter's initializer without knowing its scheme: what dumps show, and the draw.
  Var w = g1.parameter("W_sphere", {3, 4}, Init::sphere(2));
  CHECK(describe_initializer(g1.initializer(w.id())) == "sphere(2)");
  CHECK(describe_initializer(g1.initializer(g1.parameter("W_default", {2}).id())) == "normal(0,1)");
  CHECK_THROWS_WITH(clamp(a, 1, 0), Catch::Contains("lower bound"));
}

TEST_CASE("buffers beyond this machine's memory are refused before allocating", "[graph][errors][memory]") {
  Graph g;
  // The element count overflows size_t: refused at the node, naming it.
  std::size_t huge = std::size_t{1} << 33;
  CHECK_THROWS_WITH(g.input("x", {huge, huge}),
                    Catch::Contains("node %0 'x'") && Catch::Contains("more than 2^40 elements"));
  Var a = g.input("a", {std::size_t{1} << 20, 4});
  CHECK_THROWS_AS(matmul(a, g.input("b", {4, std::size_t{1} << 21})), MemoryError);  // 2^41 elements
  // Within the element limit but past physical memory (2^39 doubles = 4 TiB, here and in ParamStore).
  Graph big;
  big.parameter("W", {std::size_t{1} << 20, std::size_t{1} << 19});
  CHECK_THROWS_WITH(ParamStore(big, 0),
                    Catch::Contains("ParamStore: 1 parameters") && Catch::Contains("more than this machine's"));
  Graph wide;
  Var v = wide.input("v", {std::size_t{1} << 39});
  CHECK_THROWS_WITH(Program(wide, {exp(v)}), Catch::Contains("Program of 2 nodes") && Catch::Contains("GiB"));
  CHECK(physical_memory_bytes() > (std::size_t{1} << 26));
}

TEST_CASE("shape errors name op, node and every input shape", "[graph][errors]") {
  Graph g;
  Var x = g.input("x", {3, 4}), w = g.input("W", {5, 2});
  try {
    matmul(x, w);
    FAIL("no ShapeError");
  } catch (const ShapeError& e) {
    std::string msg = e.what();
    CHECK(msg.find("'matmul'") != std::string::npos);
    CHECK(msg.find("matmul_2") != std::string::npos);  // the node it would have been
    CHECK(msg.find("'x' [3,4]") != std::string::npos);
    CHECK(msg.find("'W' [5,2]") != std::string::npos);
    CHECK(msg.find("inner dimensions differ (4 vs 5)") != std::string::npos);
  }
  CHECK(g.size() == 2);  // a failed op leaves the graph as it was
}
