// Bindings for the per-block configuration schedule (dvfskit.schedule builds on solve_schedule).
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "dvfskit/schedule.hpp"
#include "interrupt.hpp"

namespace py = pybind11;

namespace dvfskit::bindings {

namespace {

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::vector<double> matrix_values(const Array& a, std::size_t rows, std::size_t cols, const char* name) {
  if (a.ndim() != 2 || static_cast<std::size_t>(a.shape(0)) != rows || static_cast<std::size_t>(a.shape(1)) != cols)
    throw std::invalid_argument(std::string(name) + ": expected shape (" + std::to_string(rows) + ", " +
                                std::to_string(cols) + ")");
  return std::vector<double>(a.data(), a.data() + a.size());
}

}  // namespace

void bind_schedule(py::module_& m) {
  m.def(
      "solve_schedule",
      [](const Array& latency, const Array& energy, double deadline, double switch_time_any, double switch_energy_any,
         const std::optional<ConfigSet>& configs, const std::vector<double>& switch_time_knobs,
         const std::vector<double>& switch_energy_knobs, const std::optional<Array>& switch_time_matrix,
         const std::optional<Array>& switch_energy_matrix, std::optional<std::size_t> initial_config,
         std::size_t max_labels_per_cell, std::size_t label_budget) {
        if (latency.ndim() != 2) throw std::invalid_argument("block_latency_ms: expected a 2-D array (N, K)");
        ScheduleProblem p;
        p.num_blocks = static_cast<std::size_t>(latency.shape(0));
        p.num_configs = static_cast<std::size_t>(latency.shape(1));
        p.latency = matrix_values(latency, p.num_blocks, p.num_configs, "block_latency_ms");
        p.energy = matrix_values(energy, p.num_blocks, p.num_configs, "block_energy_j");
        p.deadline = deadline;
        p.configs = configs;
        p.switch_time = {switch_time_any, switch_time_knobs};
        p.switch_energy = {switch_energy_any, switch_energy_knobs};
        if (switch_time_matrix)
          p.switch_time_matrix = matrix_values(*switch_time_matrix, p.num_configs, p.num_configs, "switch_time_ms");
        if (switch_energy_matrix)
          p.switch_energy_matrix = matrix_values(*switch_energy_matrix, p.num_configs, p.num_configs, "switch_energy_j");
        p.initial_config = initial_config;
        ScheduleOptions options;
        options.max_labels_per_cell = max_labels_per_cell;
        options.label_budget = label_budget;
        const PythonInterrupt interrupt;
        ScheduleResult r;
        {
          py::gil_scoped_release release;
          r = solve_schedule(p, options, interrupt.token());
        }
        py::dict d;
        d["feasible"] = r.feasible;
        d["reason"] = r.reason;
        d["configs"] = r.configs;
        d["energy"] = r.energy;
        d["latency"] = r.latency;
        d["min_latency"] = r.min_latency;
        d["lower_bound"] = r.lower_bound;
        d["proven_optimal"] = r.proven_optimal;
        d["lambda"] = r.lambda;
        d["num_switches"] = r.num_switches;
        d["lagrange_iterations"] = r.lagrange_iterations;
        d["labels"] = r.labels;
        d["thinned"] = r.thinned;
        d["predecessor_groups"] = r.predecessor_groups;
        return d;
      },
      py::arg("latency"), py::arg("energy"), py::arg("deadline"), py::arg("switch_time_any") = 0.0,
      py::arg("switch_energy_any") = 0.0, py::arg("configs") = py::none(),
      py::arg("switch_time_knobs") = std::vector<double>{}, py::arg("switch_energy_knobs") = std::vector<double>{},
      py::arg("switch_time_matrix") = py::none(), py::arg("switch_energy_matrix") = py::none(),
      py::arg("initial_config") = py::none(), py::arg("max_labels_per_cell") = 4096,
      py::arg("label_budget") = 3000000,
      "Energy-optimal per-block schedule under a deadline (ms, J); returns a dict. A switch costs "
      "switch_*_any plus switch_*_knobs[j] for every knob j of `configs` that changes, or the "
      "K x K matrices. Ctrl-C raises KeyboardInterrupt.");
}

}  // namespace dvfskit::bindings
