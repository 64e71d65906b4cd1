// Bindings for the governor simulator (dvfskit.governor builds on GovernorSimulator). Runs release
// the GIL and stop on Ctrl-C (KeyboardInterrupt).
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "dvfskit/governor_sim.hpp"
#include "interrupt.hpp"

namespace py = pybind11;

namespace dvfskit::bindings {

namespace {

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::vector<double> table(const Array& a, std::size_t rows, std::size_t cols, const std::string& name) {
  if (a.ndim() != 2 || static_cast<std::size_t>(a.shape(0)) != rows || static_cast<std::size_t>(a.shape(1)) != cols)
    throw std::invalid_argument(name + ": expected shape (" + std::to_string(rows) + ", " + std::to_string(cols) + ")");
  return std::vector<double>(a.data(), a.data() + a.size());
}

// (kind, {tunable: value}) -> GovernorSpec; unknown tunables are an error.
GovernorSpec spec_from(const py::tuple& t) {
  if (t.size() != 2) throw std::invalid_argument("a governor is (kind, tunables)");
  GovernorSpec s;
  const int kind = t[0].cast<int>();
  if (kind < 0 || kind > static_cast<int>(GovernorKind::kSysScaleCompute))
    throw std::invalid_argument("unknown governor kind " + std::to_string(kind));
  s.kind = static_cast<GovernorKind>(kind);
  for (const auto& item : t[1].cast<py::dict>()) {
    const auto key = item.first.cast<std::string>();
    const py::handle v = item.second;
    if (key == "setspeed_mhz") s.setspeed_mhz = v.cast<double>();
    else if (key == "up_threshold") s.up_threshold = v.cast<int>();
    else if (key == "down_threshold") s.down_threshold = v.cast<int>();
    else if (key == "sampling_down_factor") s.sampling_down_factor = v.cast<int>();
    else if (key == "freq_step") s.freq_step = v.cast<int>();
    else if (key == "rate_limit_us") s.rate_limit_us = v.cast<double>();
    else if (key == "frequency_invariant") s.frequency_invariant = v.cast<bool>();
    else if (key == "upthreshold") s.upthreshold = v.cast<int>();
    else if (key == "downdifferential") s.downdifferential = v.cast<int>();
    else if (key == "low_mhz") s.low_mhz = v.cast<double>();
    else if (key == "high_mhz") s.high_mhz = v.cast<double>();
    else if (key == "power_budget_w") s.power_budget_w = v.cast<double>();
    else throw std::invalid_argument("unknown governor tunable " + key);
  }
  return s;
}

template <typename T>
py::array_t<T> column(const std::vector<T>& v) {
  py::array_t<T> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

py::dict outcome(GovernorOutcome&& r) {
  py::dict d;
  d["energy_j"] = r.energy_j;
  d["latency_ms"] = r.latency_ms;
  d["miss_rate"] = r.miss_rate;
  d["cycle_ms"] = r.cycle_ms;
  d["warmup"] = r.warmup;
  d["cycle_length"] = r.cycle_length;
  d["converged"] = r.converged;
  std::vector<double> lat, en, cyc;
  std::vector<std::uint8_t> missed;
  std::vector<std::int64_t> config, switches;
  for (const auto& i : r.inferences) {
    lat.push_back(i.latency_ms);
    en.push_back(i.energy_j);
    cyc.push_back(i.cycle_ms);
    missed.push_back(i.missed ? 1 : 0);
    config.push_back(static_cast<std::int64_t>(i.config));
    switches.push_back(i.switches);
  }
  d["inferences"] = py::dict(py::arg("latency_ms") = column(lat), py::arg("energy_j") = column(en),
                             py::arg("cycle_ms") = column(cyc), py::arg("missed") = column(missed),
                             py::arg("config") = column(config), py::arg("switches") = column(switches));
  std::vector<std::int64_t> inf, block, scfg;
  std::vector<double> start, dur;
  for (const auto& s : r.segments) {
    inf.push_back(static_cast<std::int64_t>(s.inference));
    block.push_back(static_cast<std::int64_t>(s.block));
    start.push_back(s.start_ms);
    dur.push_back(s.duration_ms);
    scfg.push_back(static_cast<std::int64_t>(s.config));
  }
  d["segments"] = py::dict(py::arg("inference") = column(inf), py::arg("block") = column(block),
                           py::arg("start_ms") = column(start), py::arg("duration_ms") = column(dur),
                           py::arg("config") = column(scfg));
  return d;
}

}  // namespace

void bind_governor(py::module_& m) {
  py::class_<GovernorSimulator, std::shared_ptr<GovernorSimulator>>(
      m, "GovernorSimulator",
      "Periodic inference under per-knob governors on (L, K) tables (cpp/include/dvfskit/governor_sim.hpp).")
      .def(py::init([](const ConfigSet& configs, const Array& latency_ms, const Array& power_w,
                       const std::vector<std::optional<Array>>& busy, const std::vector<double>& switch_time_ms,
                       const std::vector<double>& switch_energy_j, const std::vector<py::tuple>& governors,
                       double switch_any_ms, double switch_any_j) {
             const std::size_t K = configs.size();
             if (latency_ms.ndim() != 2) throw std::invalid_argument("latency_ms: expected shape (L, K)");
             const auto L = static_cast<std::size_t>(latency_ms.shape(0));
             GovernorProblem p{configs, L, table(latency_ms, L, K, "latency_ms"), table(power_w, L, K, "power_w"),
                               {}, switch_time_ms, switch_energy_j, {}};
             for (const auto& b : busy) p.busy.push_back(b ? table(*b, L, K, "busy") : std::vector<double>{});
             for (const auto& g : governors) p.governors.push_back(spec_from(g));
             p.switch_any_ms = switch_any_ms;
             p.switch_any_j = switch_any_j;
             return std::make_shared<GovernorSimulator>(std::move(p));
           }),
           py::arg("configs"), py::arg("latency_ms"), py::arg("power_w"), py::arg("busy"), py::arg("switch_time_ms"),
           py::arg("switch_energy_j"), py::arg("governors"), py::arg("switch_any_ms") = 0.0,
           py::arg("switch_any_j") = 0.0)
      .def(
          "run",
          [](const GovernorSimulator& s, double period_ms, double sampling_ms, double idle_power_w, bool record,
             std::size_t max_inferences, bool stepped) {
            PythonInterrupt interrupt;
            GovernorOutcome r;
            {
              py::gil_scoped_release release;
              r = stepped ? s.simulate(period_ms, sampling_ms, idle_power_w, record, max_inferences, interrupt.token())
                          : s.run(period_ms, sampling_ms, idle_power_w, record, max_inferences, interrupt.token());
            }
            return outcome(std::move(r));
          },
          py::arg("period_ms"), py::arg("sampling_ms"), py::arg("idle_power_w"), py::arg("record") = false,
          py::arg("max_inferences") = 100000, py::arg("stepped") = false,
          "Steady state (sampling_ms == period_ms) or time-stepped simulation; stepped=True forces the "
          "time-stepped path. A dict of means, cycle, and (record) per-inference and per-segment arrays.")
      .def(
          "steady_batch",
          [](const GovernorSimulator& s, const Array& period_ms, const Array& idle_power_w, int threads) {
            const std::vector<double> p(period_ms.data(), period_ms.data() + period_ms.size());
            const std::vector<double> idle(idle_power_w.data(), idle_power_w.data() + idle_power_w.size());
            PythonInterrupt interrupt;
            GovernorSimulator::Batch b;
            {
              py::gil_scoped_release release;
              b = s.steady_batch(p, idle, threads, interrupt.token());
            }
            return py::dict(py::arg("energy_j") = column(b.energy_j), py::arg("latency_ms") = column(b.latency_ms),
                            py::arg("miss_rate") = column(b.miss_rate), py::arg("converged") = column(b.converged));
          },
          py::arg("period_ms"), py::arg("idle_power_w"), py::arg("threads") = 0,
          "Steady states for many (period, idle power) pairs, multi-threaded: a dict of arrays.")
      .def("snap", &GovernorSimulator::snap, py::arg("levels"),
           "The measured configuration nearest to the knobs' levels (one per knob).")
      .def_property_readonly("initial_config", &GovernorSimulator::initial_config)
      .def_property_readonly("num_blocks", &GovernorSimulator::num_blocks);
}

}  // namespace dvfskit::bindings
