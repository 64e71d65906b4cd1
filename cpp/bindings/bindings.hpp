#pragma once

#include <pybind11/pybind11.h>

namespace dvfskit::bindings {
void bind_configs(pybind11::module_& m);   // bind_configs.cpp: configuration sets over knobs
void bind_fit(pybind11::module_& m);       // bind_fit.cpp: expressions, fits
void bind_governor(pybind11::module_& m);  // bind_governor.cpp: governor simulations
void bind_solve(pybind11::module_& m);     // bind_solve.cpp: offloading / DVFS problem solver
void bind_schedule(pybind11::module_& m);  // bind_schedule.cpp: per-block frequency schedule
void bind_sweep(pybind11::module_& m);     // bind_sweep.cpp: batch solves for sweeps
}  // namespace dvfskit::bindings
