#include "dagrad/optim/schedule.hpp"

#include <algorithm>
#include <cmath>

#include "dagrad/graph/error.hpp"

namespace dagrad::optim {

Schedule constant(Scalar lr) {
  return [lr](std::size_t) { return lr; };
}
Schedule inverse_time(Scalar c) {
  return [c](std::size_t t) { return c / static_cast<Scalar>(t + 1); };
}
Schedule inverse_sqrt(Scalar c) {
  return [c](std::size_t t) { return c / std::sqrt(static_cast<Scalar>(t + 1)); };
}
Schedule step_decay(Scalar lr, Scalar factor, std::size_t every) {
  if (every == 0) throw Error("step_decay: `every` must be positive");
  return [=](std::size_t t) { return lr * std::pow(factor, static_cast<Scalar>(t / every)); };
}
Schedule cosine(Scalar lr, std::size_t total, Scalar floor) {
  if (total == 0) throw Error("cosine schedule: `total` must be positive");
  return [=](std::size_t t) {
    Scalar progress = std::min<Scalar>(1, static_cast<Scalar>(t) / static_cast<Scalar>(total));
    return floor + 0.5 * (lr - floor) * (1 + std::cos(M_PI * progress));
  };
}
Schedule warmup(Schedule after, std::size_t steps) {
  return [after = std::move(after), steps](std::size_t t) {
    Scalar scale = t < steps ? static_cast<Scalar>(t + 1) / static_cast<Scalar>(steps) : 1;
    return scale * after(t);
  };
}

}  // namespace dagrad::optim
