// Bindings for the table offloading problem: TableProblem (precomputed, immutable), Scenario,
// OffloadSolution, solve_table / evaluate_table (GIL released around the C++ work).
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
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
  const auto nf = static_cast<py::ssize_t>(tp.num_compute());
  const auto nm = static_cast<py::ssize_t>(tp.num_mem());
  Array out({L + 1, nf, nm});
  double* d = out.mutable_data();
  for (std::size_t l = 0; l <= tp.num_blocks(); ++l)
    for (std::size_t c = 0; c < tp.num_configs(); ++c)
      *d++ = energy ? tp.local_energy_mj(l, c) : tp.local_time_ms(l, c);
  return out;
}

ObjectiveKind to_kind(int kind) {
  if (kind < 0 || kind > 3) throw py::value_error("objective kind must be 0..3");
  return static_cast<ObjectiveKind>(kind);
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
                           "Measured per-block tables, precomputed into cumulative local time/energy "
                           "and per-split Pareto fronts. Immutable.")
      .def(py::init([](const Array& latency, const Array& power, const Array& freqs, const Array& mem,
                       const Array& out_bits, const Array& server) {
             if (latency.ndim() != 3) throw py::value_error("block_latency_ms must have shape (L, nF, nM)");
             if (power.ndim() != 3 || power.shape(0) != latency.shape(0) || power.shape(1) != latency.shape(1) ||
                 power.shape(2) != latency.shape(2))
               throw py::value_error("block_power_w must have the shape of block_latency_ms");
             if (freqs.ndim() != 1 || freqs.shape(0) != latency.shape(1))
               throw py::value_error("compute_freqs_mhz must have nF = block_latency_ms.shape[1] entries");
             if (mem.ndim() != 1 || mem.shape(0) != latency.shape(2))
               throw py::value_error("mem_freqs_mhz must have nM = block_latency_ms.shape[2] entries");
             return TableProblem(static_cast<std::size_t>(latency.shape(0)), to_vector(freqs, "compute_freqs_mhz", 1),
                                 to_vector(mem, "mem_freqs_mhz", 1), to_vector(latency, "block_latency_ms", 3),
                                 to_vector(power, "block_power_w", 3), to_vector(out_bits, "out_bits", 1),
                                 to_vector(server, "server_latency_ms", 1));
           }),
           py::arg("block_latency_ms"), py::arg("block_power_w"), py::arg("compute_freqs_mhz"),
           py::arg("mem_freqs_mhz"), py::arg("out_bits"), py::arg("server_latency_ms"))
      .def_property_readonly("num_blocks", &TableProblem::num_blocks)
      .def_property_readonly("num_compute", &TableProblem::num_compute)
      .def_property_readonly("num_mem", &TableProblem::num_mem)
      .def("local_time_ms", [](const TableProblem& tp) { return table(tp, false); },
           "Cumulative local time (L + 1, nF, nM), ms.")
      .def("local_energy_mj", [](const TableProblem& tp) { return table(tp, true); },
           "Cumulative local energy (L + 1, nF, nM), mJ.")
      .def("front_size", [](const TableProblem& tp, std::size_t l) {
             if (l > tp.num_blocks()) throw py::value_error("split must be in 0..L");
             return tp.front_end(l) - tp.front_begin(l);
           });

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
      .def_readonly("compute_index", &OffloadSolution::compute_index)
      .def_readonly("mem_index", &OffloadSolution::mem_index)
      .def_readonly("compute_freq_mhz", &OffloadSolution::compute_freq_mhz)
      .def_readonly("mem_freq_mhz", &OffloadSolution::mem_freq_mhz)
      .def_readonly("tx_power_w", &OffloadSolution::tx_power_w)
      .def_readonly("offload_fraction", &OffloadSolution::offload_fraction)
      .def_readonly("evaluated", &OffloadSolution::evaluated);

  m.def(
      "solve_table",
      [](const TableProblem& tp, const Scenario& sc, int kind, double weight, int split, int compute_index,
         int mem_index, bool fixed_max_power) {
        const Objective obj{to_kind(kind), weight};
        const Restriction rs{split, compute_index, mem_index, fixed_max_power};
        py::gil_scoped_release release;
        return solve(tp, sc, obj, rs);
      },
      py::arg("problem"), py::arg("scenario"), py::arg("kind") = 0, py::arg("weight") = 0.0,
      py::arg("split") = -1, py::arg("compute_index") = -1, py::arg("mem_index") = -1,
      py::arg("fixed_max_power") = false,
      "Exact solve; kind 0 energy, 1 latency, 2 weighted (energy_j + weight * latency_s), 3 energy-delay.");

  m.def(
      "evaluate_table",
      [](const TableProblem& tp, const Scenario& sc, int split, int compute_index, int mem_index, double p) {
        py::gil_scoped_release release;
        return evaluate(tp, sc, split, compute_index, mem_index, p);
      },
      py::arg("problem"), py::arg("scenario"), py::arg("split"), py::arg("compute_index"), py::arg("mem_index"),
      py::arg("tx_power_w"));

  py::class_<ModelProblem>(m, "ModelProblem",
                           "Per-block latency/power expressions in (f, m) with per-block coefficients, "
                           "continuous frequency ranges, optional partial offloading. Immutable.")
      .def(py::init([](const Expression& latency, const Expression& power, const Array& coefficients,
                       std::pair<double, double> compute, std::pair<double, double> memory, const Array& out_bits,
                       const Array& server, bool partial) {
             if (coefficients.ndim() != 2) throw py::value_error("coefficients must have shape (L, K)");
             return ModelProblem(latency, power, static_cast<std::size_t>(coefficients.shape(0)),
                                 to_vector(coefficients, "coefficients", 2), FrequencyRange{compute.first, compute.second},
                                 FrequencyRange{memory.first, memory.second}, to_vector(out_bits, "out_bits", 1),
                                 to_vector(server, "server_latency_ms", 1), partial);
           }),
           py::arg("latency_ms"), py::arg("power_w"), py::arg("coefficients"), py::arg("compute_freq_range_mhz"),
           py::arg("mem_freq_range_mhz"), py::arg("out_bits"), py::arg("server_latency_ms"),
           py::arg("partial_offloading") = true)
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
        py::gil_scoped_release release;
        return solve(mp, sc, obj, opt);
      },
      py::arg("problem"), py::arg("scenario"), py::arg("kind") = 0, py::arg("weight") = 0.0, py::arg("starts") = 12,
      py::arg("max_evaluations") = 400);
}

}  // namespace dvfskit::bindings
