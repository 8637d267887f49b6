#pragma once
// Step sizes as functions of the step index t = 0, 1, 2, ...
#include <cstddef>
#include <functional>

#include "dagrad/graph/tensor.hpp"

namespace dagrad::optim {

using Schedule = std::function<Scalar(std::size_t step)>;

Schedule constant(Scalar lr);
Schedule inverse_time(Scalar c);                                   // c / (t + 1)
Schedule inverse_sqrt(Scalar c);                                   // c / √(t + 1)
Schedule step_decay(Scalar lr, Scalar factor, std::size_t every);  // lr · factor^⌊t / every⌋
Schedule cosine(Scalar lr, std::size_t total, Scalar floor = 0);   // floor + ½(lr − floor)(1 + cos(πt/total))
Schedule warmup(Schedule after, std::size_t steps);                // linear ramp to after(t) over `steps`

}  // namespace dagrad::optim
