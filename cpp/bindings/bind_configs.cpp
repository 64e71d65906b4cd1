// Bindings for ConfigSet: a device's K configurations over d knobs (dvfskit.ConfigSet wraps it).
#include <optional>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "dvfskit/config_set.hpp"

namespace py = pybind11;

namespace dvfskit::bindings {

void bind_configs(py::module_& m) {
  using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;
  py::class_<ConfigSet>(m, "ConfigSet",
                        "K configurations over d knobs (values K x d), any subset of the knobs' grid. Immutable.")
      .def(py::init([](std::vector<std::string> knobs, const Array& values) {
             if (values.ndim() != 2 || static_cast<std::size_t>(values.shape(1)) != knobs.size())
               throw py::value_error("values must have shape (K, " + std::to_string(knobs.size()) + ")");
             return ConfigSet(std::move(knobs), std::vector<double>(values.data(), values.data() + values.size()));
           }),
           py::arg("knobs"), py::arg("values"))
      .def_property_readonly("knobs", &ConfigSet::knobs)
      .def_property_readonly("size", &ConfigSet::size)
      .def_property_readonly("values",
                             [](const ConfigSet& c) {
                               const auto k = static_cast<py::ssize_t>(c.size());
                               const auto d = static_cast<py::ssize_t>(c.num_knobs());
                               Array out({k, d});
                               std::copy(c.values().begin(), c.values().end(), out.mutable_data());
                               return out;
                             },
                             "Knob values (K, d).")
      .def_property_readonly("levels",
                             [](const ConfigSet& c) {
                               py::array_t<int> out({static_cast<py::ssize_t>(c.size()), static_cast<py::ssize_t>(c.num_knobs())});
                               int* d = out.mutable_data();
                               for (std::size_t k = 0; k < c.size(); ++k)
                                 for (std::size_t j = 0; j < c.num_knobs(); ++j) *d++ = c.level(k, j);
                               return out;
                             },
                             "Level of each knob value among that knob's distinct values, ascending (K, d).")
      .def("knob_levels", [](const ConfigSet& c, std::size_t j) {
             if (j >= c.num_knobs()) throw py::index_error("knob index out of range");
             return c.levels(j);
           }, py::arg("knob"), "The distinct values of knob j, ascending.")
      .def("find", [](const ConfigSet& c, const std::vector<double>& values) -> std::optional<std::size_t> {
             if (values.size() != c.num_knobs()) throw py::value_error("find: one value per knob");
             return c.find(values.data());
           }, py::arg("values"), "Index of the configuration with exactly these knob values, or None.");
}

}  // namespace dvfskit::bindings
