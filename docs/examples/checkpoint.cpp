// docs/examples/checkpoint.cpp
// Save parameters and optimizer state, load them into a fresh store, and continue identically.
#include <dagrad/dagrad.hpp>
#include <dagrad/optim/checkpoint.hpp>
#include <dagrad/optim/gradient_program.hpp>

#include <stdlib.h>

#include <filesystem>
#include <iostream>

using namespace dagrad;

int main() {
  char scratch[] = "/tmp/dagrad-checkpoint-XXXXXX";
  if (!mkdtemp(scratch)) return 1;  // a directory of our own
  const std::string dir = std::string(scratch) + "/run";

  Graph g;
  Var w = g.parameter("w", {4});
  Var loss = sum(square(tanh(w) - 0.5));
  ParamStore store(g, /*seed=*/7);
  optim::GradientProgram program(g, loss, store);
  optim::Adam adam({optim::constant(0.1)});
  for (int step = 0; step < 5; ++step) {
    program.run();
    adam.step(store);
  }
  optim::TrainingState state;
  adam.save_state(state);  // moments and step count
  optim::save_checkpoint(dir, store, state);

  ParamStore restored(g, /*seed=*/99);  // other initial values, overwritten by the load
  optim::Adam resumed({optim::constant(0.1)});
  resumed.load_state(optim::load_checkpoint(dir, restored), restored.size());
  optim::GradientProgram restored_program(g, loss, restored);
  program.run();
  adam.step(store);
  restored_program.run();
  resumed.step(restored);
  bool ok = restored.values() == store.values();  // bit for bit
  std::cout << "after one more step the resumed run " << (ok ? "matches" : "DIFFERS") << "\n";
  std::filesystem::remove_all(scratch);
  return ok ? 0 : 1;
}
