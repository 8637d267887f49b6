#pragma once
// How many threads OpenBLAS (and so every matmul dagrad runs) and oneDNN (ops/onednn.hpp) may use. OpenBLAS's default,
// one per core, loses on the small products most graphs here are made of: waking helper threads for a 64×32 GEMV costs
// more than the product (max-margin-digits: 16.1 s with 2 threads, 3.4 s with 1), while large GEMMs gain from them. The
// setting is process-wide, as OpenBLAS's is.
namespace dagrad {

void set_blas_threads(int threads);  // threads >= 1
int blas_threads();

}  // namespace dagrad
