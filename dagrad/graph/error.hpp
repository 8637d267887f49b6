#pragma once
#include <stdexcept>
#include <string>

namespace dagrad {

// Every error dagrad raises derives from Error, so callers can catch one type.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A shape that an op cannot accept; the message names op, node and every input shape.
struct ShapeError : Error {
  using Error::Error;
};
// Misuse of the graph: cross-graph handles, unknown nodes, invalid arguments.
struct GraphError : Error {
  using Error::Error;
};
// Binding or running a Program: unbound inputs, wrong-shaped values, unknown outputs.
struct BindError : Error {
  using Error::Error;
};
// A NaN or Inf found by the program's finite check.
struct NumericError : Error {
  using Error::Error;
};
// Differentiation requests that have no meaning (grad of a non-scalar without a cotangent, ...).
struct AutodiffError : Error {
  using Error::Error;
};

}  // namespace dagrad

namespace dagrad {
// A value outside an op's domain found while running (a label that is not a class index).
struct ValueError : Error {
  using Error::Error;
};
}  // namespace dagrad

namespace dagrad {
// A checkpoint that cannot be written, or read back whole: what is wrong and in which file.
struct CheckpointError : Error {
  using Error::Error;
};
}  // namespace dagrad

namespace dagrad {
// Buffers that cannot fit in this machine's memory: refused before allocating, with what and how much.
struct MemoryError : Error {
  using Error::Error;
};
}  // namespace dagrad

namespace dagrad {
// A file that could not be created, written whole, synced or read: the path and the system's reason.
struct FileError : Error {
  using Error::Error;
};
}  // namespace dagrad
