// Bindings for the offloading problems: TableProblem (precomputed, immutable) over a ConfigSet,
// ConfigSubset, Scenario, OffloadSolution (picklable), solve_table / evaluate_table, ModelProblem
// and solve_model (GIL released around the C++ work; model solves stop on Ctrl-C).
#include <string>
#include <tuple>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "interrupt.hpp"
#include "dvfskit/expression.hpp"
#include "dvfskit/offload_model_problem.hpp"
#include "dvfskit/offload_model_solve.hpp"
#include "dvfskit/offload_problem.hpp"
#include "dvfskit/offload_solution.hpp"
#include "dvfskit/offload_solve.hpp"

namespace py = pybind11;

namespace dvfskit::bindings {

namespace {

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::vector<double> to_vector(const Array& a, const char* name, py::ssize_t ndim) {
  if (a.ndim() != ndim) throw py::value_error(std::string(name) + " must have " + std::to_string(ndim) + " dimension(s)");
  return std::vector<double>(a.data(), a.data() + a.size());
}

Array table(const TableProblem& tp, bool energy) {
  const auto L = static_cast<py::ssize_t>(tp.num_blocks());
  const auto K = static_cast<py::ssize_t>(tp.num_configs());
  Array out({L + 1, K});
  double* d = out.mutable_data();
  for (std::size_t l = 0; l <= tp.num_blocks(); ++l)
    for (std::size_t k = 0; k < tp.num_configs(); ++k) *d++ = energy ? tp.local_energy_mj(l, k) : tp.local_time_ms(l, k);
  return out;
}

ObjectiveKind to_kind(int kind) {
  if (kind < 0 || kind > 3) throw py::value_error("objective kind must be 0..3");
  return static_cast<ObjectiveKind>(kind);
}

// OffloadSolution <-> a plain tuple (pickling, Solution.from_dict).
using State = std::tuple<bool, std::string, double, double, double, double, double, double, double, double, double,
                         double, int, int, double, double, double, double, long>;

State to_state(const OffloadSolution& s) {
  return {s.feasible, s.reason, s.min_latency_ms, s.objective_value, s.energy_j, s.energy_compute_j,
          s.energy_transmit_j, s.energy_idle_j, s.latency_ms, s.latency_local_ms, s.latency_transmit_ms,
          s.latency_server_ms, s.split, s.config, s.compute_freq_mhz, s.mem_freq_mhz, s.tx_power_w,
          s.offload_fraction, s.evaluated};
}

OffloadSolution from_state(const State& t) {
  OffloadSolution s;
  std::tie(s.feasible, s.reason, s.min_latency_ms, s.objective_value, s.energy_j, s.energy_compute_j,
           s.energy_transmit_j, s.energy_idle_j, s.latency_ms, s.latency_local_ms, s.latency_transmit_ms,
           s.latency_server_ms, s.split, s.config, s.compute_freq_mhz, s.mem_freq_mhz, s.tx_power_w,
           s.offload_fraction, s.evaluated) = t;
  return s;
}

}  // namespace

void bind_solve(py::module_& m) {
  py::class_<Scenario>(m, "Scenario", "Radio/time parameters of one solve (ms, Hz, W/Hz, W).")
      .def(py::init([](double deadline_ms, double bandwidth_hz, double gain, double noise_w_per_hz,
                       double p_max_w, double p_circuit_w, double idle_power_w) {
             Scenario s{deadline_ms, bandwidth_hz, gain, noise_w_per_hz, p_max_w, p_circuit_w, idle_power_w};
             validate(s);
             return s;
           }),
           py::arg("deadline_ms"), py::arg("bandwidth_hz"), py::arg("gain"), py::arg("noise_w_per_hz"),
           py::arg("p_max_w"), py::arg("p_circuit_w") = 0.0, py::arg("idle_power_w") = 0.0)
      .def_readonly("deadline_ms", &Scenario::deadline_ms)
      .def_readonly("bandwidth_hz", &Scenario::bandwidth_hz)
      .def_readonly("gain", &Scenario::gain)
      .def_readonly("noise_w_per_hz", &Scenario::noise_w_per_hz)
      .def_readonly("p_max_w", &Scenario::p_max_w)
      .def_readonly("p_circuit_w", &Scenario::p_circuit_w)
      .def_readonly("idle_power_w", &Scenario::idle_power_w);

  py::class_<TableProblem>(m, "TableProblem",
                           "Per-block tables over a configuration set, precomputed into cumulative local "
                           "time/energy and per-option Pareto fronts. Immutable.")
      .def(py::init([](const ConfigSet& configs, const Array& latency, const Array& power, const Array& out_bits,
                       const Array& server, const std::vector<double>& fractions) {
             if (latency.ndim() != 2 || static_cast<std::size_t>(latency.shape(1)) != configs.size())
               throw py::value_error("block_latency_ms must have shape (L, K) with K = " + std::to_string(configs.size()));
             if (power.ndim() != 2 || power.shape(0) != latency.shape(0) || power.shape(1) != latency.shape(1))
               throw py::value_error("block_power_w must have the shape of block_latency_ms");
             if (out_bits.ndim() != 1 || out_bits.shape(0) != latency.shape(0) + 1)
               throw py::value_error("out_bits must have L + 1 entries");
             return TableProblem(configs, to_vector(latency, "block_latency_ms", 2), to_vector(power, "block_power_w", 2),
                                 to_vector(out_bits, "out_bits", 1), to_vector(server, "server_latency_ms", 1), fractions);
           }),
           py::arg("configs"), py::arg("block_latency_ms"), py::arg("block_power_w"), py::arg("out_bits"),
           py::arg("server_latency_ms"), py::arg("offload_fractions") = std::vector<double>{},
           "Tables (L, K) over `configs`; offload_fractions: allowed shares rho in [0, 1] (empty: 1 only).")
      .def_property_readonly("num_blocks", &TableProblem::num_blocks)
      .def_property_readonly("num_configs", &TableProblem::num_configs)
      .def_property_readonly("configs", &TableProblem::configs, py::return_value_policy::reference_internal)
      .def_property_readonly("offload_fractions", &TableProblem::offload_fractions)
      .def_property_readonly("bytes", &TableProblem::bytes, "Bytes held by the tables, fronts and labels.")
      .def("local_time_ms", [](const TableProblem& tp) { return table(tp, false); },
           "Cumulative local time (L + 1, K), ms.")
      .def("local_energy_mj", [](const TableProblem& tp) { return table(tp, true); },
           "Cumulative local energy (L + 1, K), mJ.")
      .def("options",
           [](const TableProblem& tp) {
             std::vector<std::pair<std::size_t, double>> out;
             for (std::size_t o = 0; o < tp.num_options(); ++o) out.emplace_back(tp.option(o).split, tp.option(o).fraction);
             return out;
           },
           "The options (split, offload fraction), in solver order.")
      .def("front_sizes",
           [](const TableProblem& tp) {
             std::vector<std::size_t> out;
             for (std::size_t o = 0; o < tp.num_options(); ++o) out.push_back(tp.fronts().end(o) - tp.fronts().begin(o));
             return out;
           },
           "Number of Pareto-front configurations of each option.");

  py::class_<ConfigSubset>(m, "ConfigSubset",
                           "A subset of a TableProblem's configurations with its own per-option fronts. Immutable.")
      .def(py::init([](const TableProblem& tp, const std::vector<std::size_t>& configs) {
             return ConfigSubset(tp, configs);
           }),
           py::arg("problem"), py::arg("configs"))
      .def_property_readonly("configs", &ConfigSubset::configs);

  py::class_<OffloadSolution>(m, "OffloadSolution")
      .def_readonly("feasible", &OffloadSolution::feasible)
      .def_readonly("reason", &OffloadSolution::reason)
      .def_readonly("min_latency_ms", &OffloadSolution::min_latency_ms)
      .def_readonly("objective_value", &OffloadSolution::objective_value)
      .def_readonly("energy_j", &OffloadSolution::energy_j)
      .def_readonly("energy_compute_j", &OffloadSolution::energy_compute_j)
      .def_readonly("energy_transmit_j", &OffloadSolution::energy_transmit_j)
      .def_readonly("energy_idle_j", &OffloadSolution::energy_idle_j)
      .def_readonly("latency_ms", &OffloadSolution::latency_ms)
      .def_readonly("latency_local_ms", &OffloadSolution::latency_local_ms)
      .def_readonly("latency_transmit_ms", &OffloadSolution::latency_transmit_ms)
      .def_readonly("latency_server_ms", &OffloadSolution::latency_server_ms)
      .def_readonly("split", &OffloadSolution::split)
      .def_readonly("config", &OffloadSolution::config)
      .def_readonly("compute_freq_mhz", &OffloadSolution::compute_freq_mhz)
      .def_readonly("mem_freq_mhz", &OffloadSolution::mem_freq_mhz)
      .def_readonly("tx_power_w", &OffloadSolution::tx_power_w)
      .def_readonly("offload_fraction", &OffloadSolution::offload_fraction)
      .def_readonly("evaluated", &OffloadSolution::evaluated)
      .def("state", &to_state, "Every field as a tuple (OffloadSolution.from_state rebuilds it).")
      .def_static("from_state", &from_state, py::arg("state"))
      .def(py::pickle(&to_state, &from_state));

  m.def(
      "solve_table",
      [](const TableProblem& tp, const Scenario& sc, int kind, double weight, int split, double fraction,
         const ConfigSubset* configs, bool fixed_max_power) {
        const Objective obj{to_kind(kind), weight};
        const Restriction rs{split, fraction, configs, fixed_max_power};
        py::gil_scoped_release release;
        return solve(tp, sc, obj, rs);
      },
      py::arg("problem"), py::arg("scenario"), py::arg("kind") = 0, py::arg("weight") = 0.0,
      py::arg("split") = -1, py::arg("fraction") = -1.0, py::arg("configs") = nullptr,
      py::arg("fixed_max_power") = false,
      "Exact solve; kind 0 energy, 1 latency, 2 weighted (energy_j + weight * latency_s), 3 energy-delay. "
      "Restrictions: split (-1 free), offload fraction (-1 free), configs (a ConfigSubset of the problem).");

  m.def(
      "evaluate_table",
      [](const TableProblem& tp, const Scenario& sc, int split, int config, double p, double fraction) {
        py::gil_scoped_release release;
        return evaluate(tp, sc, split, config, p, fraction);
      },
      py::arg("problem"), py::arg("scenario"), py::arg("split"), py::arg("config"), py::arg("tx_power_w"),
      py::arg("fraction") = -1.0);

  py::class_<ModelProblem>(m, "ModelProblem",
                           "Per-block latency/power expressions in the compute frequency (f or compute_freq_mhz) and "
                           "memory frequency (m or mem_freq_mhz), MHz, with per-block coefficients, continuous "
                           "frequency ranges, optional partial offloading. Immutable.")
      .def(py::init([](const Expression& latency, const Array& latency_coefficients, const Expression& power,
                       const Array& power_coefficients, std::pair<double, double> compute,
                       std::pair<double, double> memory, const Array& out_bits, const Array& server, bool partial) {
             if (latency_coefficients.ndim() != 2 || power_coefficients.ndim() != 2 ||
                 latency_coefficients.shape(0) != power_coefficients.shape(0))
               throw py::value_error("coefficients must have shape (L, K), the same L for latency and power");
             return ModelProblem(latency, to_vector(latency_coefficients, "latency_coefficients", 2), power,
                                 to_vector(power_coefficients, "power_coefficients", 2),
                                 static_cast<std::size_t>(latency_coefficients.shape(0)),
                                 FrequencyRange{compute.first, compute.second}, FrequencyRange{memory.first, memory.second},
                                 to_vector(out_bits, "out_bits", 1), to_vector(server, "server_latency_ms", 1), partial);
           }),
           py::arg("latency_ms"), py::arg("latency_coefficients"), py::arg("power_w"), py::arg("power_coefficients"),
           py::arg("compute_freq_range_mhz"), py::arg("mem_freq_range_mhz"), py::arg("out_bits"),
           py::arg("server_latency_ms"), py::arg("partial_offloading") = true)
      .def_property_readonly("num_blocks", &ModelProblem::num_blocks)
      .def("block", [](const ModelProblem& mp, std::size_t i, double f, double mm) {
             if (i >= mp.num_blocks()) throw py::value_error("block index out of range");
             double t = 0.0, p = 0.0;
             mp.block(i, f, mm, t, p);
             return py::make_tuple(t, p);
           });

  m.def(
      "solve_model",
      [](const ModelProblem& mp, const Scenario& sc, int kind, double weight, int starts, int max_evaluations) {
        const Objective obj{to_kind(kind), weight};
        ModelSolveOptions opt;
        opt.starts_per_split = starts;
        opt.max_evaluations = max_evaluations;
        const PythonInterrupt interrupt;
        py::gil_scoped_release release;
        return solve(mp, sc, obj, opt, interrupt.token());
      },
      py::arg("problem"), py::arg("scenario"), py::arg("kind") = 0, py::arg("weight") = 0.0, py::arg("starts") = 12,
      py::arg("max_evaluations") = 400, "Model solve (NLopt SLSQP per split); Ctrl-C raises KeyboardInterrupt.");
}

}  // namespace dvfskit::bindings
