// ConfigSet: validation, levels, lookup; dense grids and sparse sets.
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "catch.hpp"
#include "dvfskit/config_set.hpp"

using dvfskit::ConfigSet;

TEST_CASE("a sparse configuration set over three knobs has per-knob levels and exact lookup") {
  // 4 of the 2 x 2 x 2 = 8 grid points, in a deliberately unsorted order.
  const ConfigSet c({"cpu_freq_mhz", "mem_freq_mhz", "cores"}, {1200, 800, 4, 300, 800, 2, 1200, 1600, 2, 300, 1600, 4});
  REQUIRE(c.size() == 4);
  REQUIRE(c.num_knobs() == 3);
  CHECK(c.is_frequency(0));
  CHECK(c.is_frequency(1));
  CHECK_FALSE(c.is_frequency(2));
  CHECK(c.levels(0) == std::vector<double>{300, 1200});
  CHECK(c.levels(2) == std::vector<double>{2, 4});
  CHECK(c.level(0, 0) == 1);
  CHECK(c.level(1, 0) == 0);
  CHECK(c.level(3, 1) == 1);
  for (std::size_t k = 0; k < c.size(); ++k) CHECK(c.find(c.row(k)) == std::optional<std::size_t>(k));
  const double absent[] = {300, 800, 4};
  CHECK_FALSE(c.find(absent).has_value());
  const double off_level[] = {301, 800, 2};
  CHECK_FALSE(c.find(off_level).has_value());
  CHECK(c.knob_index("cores") == std::optional<std::size_t>(2));
  CHECK_FALSE(c.knob_index("gpu_freq_mhz").has_value());
  CHECK(c.where({std::nullopt, 1600.0, std::nullopt}) == std::vector<std::size_t>{2, 3});
  CHECK(c.where({1200.0, std::nullopt, 4.0}) == std::vector<std::size_t>{0});
}

TEST_CASE("grid() numbers configurations as the historical (nF, nM) layout k = a * nM + b") {
  const ConfigSet c = ConfigSet::grid({"compute_freq_mhz", "mem_freq_mhz"}, {{100, 200, 300}, {10, 20}});
  REQUIRE(c.size() == 6);
  for (std::size_t a = 0; a < 3; ++a)
    for (std::size_t b = 0; b < 2; ++b) {
      CHECK(c.value(a * 2 + b, 0) == 100.0 * (a + 1));
      CHECK(c.value(a * 2 + b, 1) == 10.0 * (b + 1));
    }
}

TEST_CASE("a set without knobs has one configuration") {
  const ConfigSet c({}, {});
  CHECK(c.size() == 1);
  CHECK(c.find(nullptr) == std::optional<std::size_t>(0));
}

TEST_CASE("bad configuration sets are rejected with the knob or configuration named") {
  const auto message = [](auto&& make) {
    try {
      make();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message([] { ConfigSet({"a", "a"}, {1, 2}); }).find("'a' is listed twice") != std::string::npos);
  CHECK(message([] { ConfigSet({""}, {1}); }).find("empty name") != std::string::npos);
  CHECK(message([] { ConfigSet({"f_mhz"}, {}); }).find("empty") != std::string::npos);
  CHECK(message([] { ConfigSet({"f_mhz", "m_mhz"}, {1, 2, 3}); }).find("K x 2") != std::string::npos);
  CHECK(message([] { ConfigSet({"f_mhz"}, {1, std::nan("")}); }).find("configuration 1") != std::string::npos);
  CHECK(message([] { ConfigSet({"f_mhz", "m_mhz"}, {1, 2, 3, 4, 1, 2}); }).find("configurations 0 and 2 are the same") !=
        std::string::npos);
}
