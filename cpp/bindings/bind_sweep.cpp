// Bindings for the batch solve: scenarios in as one (n, 7) float64 array, results out as numpy
// columns that take over the C++ vectors (no copy, no per-scenario Python objects). The GIL is
// released while the batch runs; Ctrl-C stops it within one scenario per thread
// (KeyboardInterrupt).
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "interrupt.hpp"
#include "dvfskit/offload_problem.hpp"
#include "dvfskit/offload_solve.hpp"
#include "dvfskit/sweep.hpp"

namespace py = pybind11;

namespace dvfskit::bindings {

namespace {

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

// A numpy array owning the vector's buffer (moved into a capsule).
template <typename T>
py::array_t<T> to_numpy(std::vector<T>&& v) {
  auto holder = std::make_unique<std::vector<T>>(std::move(v));
  const auto size = static_cast<py::ssize_t>(holder->size());
  T* data = holder->data();
  py::capsule owner(holder.get(), [](void* p) { delete static_cast<std::vector<T>*>(p); });
  holder.release();  // now owned by the capsule
  return py::array_t<T>({size}, {static_cast<py::ssize_t>(sizeof(T))}, data, owner);
}

std::vector<Scenario> to_scenarios(const Array& a) {
  if (a.ndim() != 2 || a.shape(1) != 7)
    throw py::value_error("scenarios must have shape (n, 7): deadline_ms, bandwidth_hz, gain, noise_w_per_hz, "
                          "p_max_w, p_circuit_w, idle_power_w");
  const auto n = static_cast<std::size_t>(a.shape(0));
  std::vector<Scenario> out(n);
  const double* d = a.data();
  for (std::size_t i = 0; i < n; ++i, d += 7) out[i] = Scenario{d[0], d[1], d[2], d[3], d[4], d[5], d[6]};
  return out;
}

}  // namespace

void bind_sweep(py::module_& m) {
  m.def(
      "solve_batch",
      [](const TableProblem& tp, const Array& scenario_array, int kind, double weight, const py::list& baseline_specs,
         int threads) {
        if (kind < 0 || kind > 3) throw py::value_error("objective kind must be 0..3");
        const Objective obj{static_cast<ObjectiveKind>(kind), weight};
        const std::vector<Scenario> scenarios = to_scenarios(scenario_array);
        // (split, fraction, configs: ConfigSubset | None, fixed_max_power, plan_on: TableProblem | None);
        // the list keeps the subsets and plan_on tables alive for the call.
        std::vector<Baseline> baselines;
        for (const py::handle item : baseline_specs) {
          const auto spec = item.cast<py::tuple>();
          if (spec.size() != 5)
            throw py::value_error("a baseline is (split, fraction, configs, fixed_max_power, plan_on)");
          Baseline b;
          b.restriction.split = spec[0].cast<int>();
          b.restriction.fraction = spec[1].cast<double>();
          if (!spec[2].is_none()) b.restriction.configs = &spec[2].cast<const ConfigSubset&>();
          b.restriction.fixed_max_power = spec[3].cast<bool>();
          if (!spec[4].is_none()) b.plan_on = &spec[4].cast<const TableProblem&>();
          baselines.push_back(b);
        }
        SweepColumns c;
        {
          const PythonInterrupt interrupt;
          py::gil_scoped_release release;
          c = solve_batch(tp, scenarios, obj, baselines, threads, interrupt.token());
        }
        py::dict out;
        out["feasible"] = to_numpy(std::move(c.feasible));
        out["objective_value"] = to_numpy(std::move(c.objective_value));
        out["energy_j"] = to_numpy(std::move(c.energy_j));
        out["energy_compute_j"] = to_numpy(std::move(c.energy_compute_j));
        out["energy_transmit_j"] = to_numpy(std::move(c.energy_transmit_j));
        out["energy_idle_j"] = to_numpy(std::move(c.energy_idle_j));
        out["latency_ms"] = to_numpy(std::move(c.latency_ms));
        out["latency_local_ms"] = to_numpy(std::move(c.latency_local_ms));
        out["latency_transmit_ms"] = to_numpy(std::move(c.latency_transmit_ms));
        out["latency_server_ms"] = to_numpy(std::move(c.latency_server_ms));
        out["min_latency_ms"] = to_numpy(std::move(c.min_latency_ms));
        out["split"] = to_numpy(std::move(c.split));
        out["config"] = to_numpy(std::move(c.config));
        out["compute_freq_mhz"] = to_numpy(std::move(c.compute_freq_mhz));
        out["mem_freq_mhz"] = to_numpy(std::move(c.mem_freq_mhz));
        out["tx_power_w"] = to_numpy(std::move(c.tx_power_w));
        out["offload_fraction"] = to_numpy(std::move(c.offload_fraction));
        py::list bl;
        for (BaselineColumns& b : c.baselines) {
          py::dict d;
          d["energy_j"] = to_numpy(std::move(b.energy_j));
          d["latency_ms"] = to_numpy(std::move(b.latency_ms));
          d["feasible"] = to_numpy(std::move(b.feasible));
          bl.append(d);
        }
        out["baselines"] = bl;
        return out;
      },
      py::arg("problem"), py::arg("scenarios"), py::arg("kind") = 0, py::arg("weight") = 0.0,
      py::arg("baselines") = py::list(), py::arg("threads") = 0,
      "Solve every row of scenarios (n, 7) and each baseline (split, fraction, configs, fixed_max_power, plan_on) "
      "on `threads` threads (0 = all cores), GIL released, Ctrl-C raising KeyboardInterrupt. Returns a dict of numpy columns "
      "(feasible as uint8) and 'baselines', a list of dicts (energy_j, latency_ms, feasible).");
}

}  // namespace dvfskit::bindings
