#pragma once
// Helpers the study files share (not installed for users: studies.hpp is the interface).
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "dagrad/analysis/analysis.hpp"
#include "dagrad/graph/tensor.hpp"
#include "dagrad/params/param_store.hpp"

namespace dagrad::studies {

// The studies are written in the diagnostics' vocabulary (margins, spectra, data generators).
using namespace dagrad::analysis;

// A number for a verdict line, to `digits` significant digits.
std::string fmt(Scalar v, int digits = 4);

// A mean loss over n examples as --loss-reduction asks: "mean" as it is, "sum" times n (the papers'
// convention; the step is not rescaled, so a sum's gradient is n times the mean's). Anything else is a
// ValueError naming the study.
Var reduce_loss(const Var& mean_loss, std::size_t n, const std::string& reduction, const std::string& study);

// --data: a CSV (gzip or not) of rows "feature, ..., feature, label" with labels in {0, 1} or {-1, 1},
// read as +-1 labels; a DataError names the file and the row otherwise. w_star is left empty.
Classification binary_data_from_csv(const std::string& path, const std::string& study);

// --init: a directory holding one .npy per parameter, named after it with '/' as '.' (deep_linear/W1 ->
// deep_linear.W1.npy), float64 in C order and of the parameter's shape. Everything is read and checked
// before the store changes; a missing, extra or malformed file is a DataError naming it.
void load_initial_weights(const std::string& dir, ParamStore& store, const std::string& study);

// A tensor of independent N(0, sd^2) entries drawn in memory order (its own distribution, so the draws
// depend on `rng` alone).
Tensor gaussian_tensor(std::mt19937_64& rng, const Shape& shape, Scalar sd = 1);

// Steps at which to record: about `count` log-spaced points in [1, steps].
std::vector<std::size_t> log_steps(std::size_t steps, std::size_t count);

struct StudyEntry;
// Each study file's registry entries (registry.cpp lists them in order).
std::vector<StudyEntry> max_margin_entries();
std::vector<StudyEntry> deep_linear_entries();
std::vector<StudyEntry> balancedness_entries();
std::vector<StudyEntry> kinks_entries();
std::vector<StudyEntry> landscape_entries();
std::vector<StudyEntry> lazy_vs_active_entries();
std::vector<StudyEntry> lqr_entries();
std::vector<StudyEntry> langevin_entries();
std::vector<StudyEntry> saddles_entries();
std::vector<StudyEntry> pl_entries();
std::vector<StudyEntry> random_features_entries();
std::vector<StudyEntry> narrow_resnet_entries();
std::vector<StudyEntry> factorization_entries();
std::vector<StudyEntry> linear_conv_entries();
std::vector<StudyEntry> mean_field_entries();

}  // namespace dagrad::studies
