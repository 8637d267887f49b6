#pragma once
// Everything a user of the core needs: graphs, ops, autodiff, programs and parameters.
#include "autodiff/autodiff.hpp"
#include "graph/graph.hpp"
#include "graph/memory.hpp"
#include "graph/param_store.hpp"
#include "graph/program.hpp"
#include "graph/threads.hpp"
#include "ops/ops.hpp"
