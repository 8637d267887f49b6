#pragma once
// Everything a user of the core needs: graphs, ops, autodiff, programs and parameters.
#include "dagrad/autodiff/autodiff.hpp"
#include "dagrad/autodiff/check_grads.hpp"
#include "dagrad/graph/graph.hpp"
#include "dagrad/graph/memory.hpp"
#include "dagrad/ops/blas_threads.hpp"
#include "dagrad/ops/ops.hpp"
#include "dagrad/params/init.hpp"
#include "dagrad/params/param_store.hpp"
#include "dagrad/program/program.hpp"
