#include "dagrad/ops/blas_threads.hpp"

#include <string>

#include "dagrad/graph/error.hpp"
#include "dagrad/ops/onednn.hpp"

extern "C" {
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
}

namespace dagrad {

void set_blas_threads(int threads) {
  if (threads < 1) throw ValueError("set_blas_threads: need at least one thread, got " + std::to_string(threads));
  openblas_set_num_threads(threads);
  set_onednn_threads(threads);  // its convolutions and bfloat16 products follow the same setting
}

int blas_threads() { return openblas_get_num_threads(); }

}  // namespace dagrad
