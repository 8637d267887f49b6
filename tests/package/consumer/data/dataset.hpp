#pragma once
// The consumer's own header at a path dagrad also has (dagrad/data/dataset.hpp). dagrad's headers
// name theirs as dagrad/data/dataset.hpp, so this one never stands in for it; if it did, dagrad's
// Dataset would be missing and the consumer would not build.
namespace consumer {
struct Dataset {
  int examples = 3;
};
}  // namespace consumer
