// Ctrl-C for long C++ work called from Python.
//
//   PythonInterrupt interrupt;                 // with the GIL held, on the calling thread
//   {
//     py::gil_scoped_release release;
//     result = long_work(..., interrupt.token());  // work calls dvfskit::check(token) at safe points
//   }
//
// The token polls Python's signal handlers (PyErr_CheckSignals, with the GIL briefly re-acquired)
// from the calling thread at most every 20 ms. When a handler raises (the default SIGINT handler
// raises KeyboardInterrupt), the work is cancelled: check() throws dvfskit::Cancelled, which the
// translator registered in module.cpp turns into KeyboardInterrupt. A handler that does not raise
// (e.g. one that defers the interrupt) does not cancel. Calls from other Python threads are not
// interruptible this way (Python runs signal handlers on the main thread only).
#pragma once

#include <pybind11/pybind11.h>

#include "dvfskit/cancel.hpp"

namespace dvfskit::bindings {

class PythonInterrupt {
 public:
  PythonInterrupt()
      : token_([] {
          pybind11::gil_scoped_acquire acquire;
          if (PyErr_CheckSignals() == 0) return false;
          PyErr_Clear();  // re-raised as KeyboardInterrupt when Cancelled reaches Python
          return true;
        }) {}

  const CancelToken* token() const { return &token_; }

 private:
  CancelToken token_;
};

}  // namespace dvfskit::bindings
