// Placeholder until the solve bindings land; binds nothing yet.
#include "bindings.hpp"

namespace dvfskit::bindings {
void bind_solve(pybind11::module_& /*m*/) {}
}  // namespace dvfskit::bindings
