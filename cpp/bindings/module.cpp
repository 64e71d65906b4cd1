// dvfskit._core: the C++ core's Python bindings. Each concept binds itself in its own file.
#include <glog/logging.h>
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "dvfskit/cancel.hpp"

PYBIND11_MODULE(_core, m) {
  // Ceres reports through glog; dvfskit returns every outcome in its results instead.
  FLAGS_minloglevel = google::GLOG_FATAL;
  m.doc() = "dvfskit C++ core: expression models, least-squares fitting (Ceres), solvers.";
  // Work cancelled by Ctrl-C (cpp/bindings/interrupt.hpp) reaches Python as KeyboardInterrupt.
  pybind11::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const dvfskit::Cancelled&) {
      PyErr_SetNone(PyExc_KeyboardInterrupt);
    }
  });
  dvfskit::bindings::bind_configs(m);
  dvfskit::bindings::bind_fit(m);
  dvfskit::bindings::bind_governor(m);
  dvfskit::bindings::bind_solve(m);
  dvfskit::bindings::bind_schedule(m);
  dvfskit::bindings::bind_sweep(m);
}
