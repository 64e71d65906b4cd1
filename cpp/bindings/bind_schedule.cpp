// Placeholder until the schedule bindings land; binds nothing yet.
#include "bindings.hpp"

namespace dvfskit::bindings {
void bind_schedule(pybind11::module_& /*m*/) {}
}  // namespace dvfskit::bindings
