"""atheris fuzz target for the Python entry points that parse text: ``dvfskit.Model(...)``
(the C++ expression parser behind pybind11) and ``dvfskit.read_measurements`` (CSV files).

Arbitrary bytes must end in a clean ``ValueError`` (``ExpressionError`` is one) or succeed.
Run with ``make fuzz-python`` (needs ``pip install atheris`` and an importable dvfskit), e.g.
``PYTHONPATH=python python3 tests/fuzz/fuzz_python.py -max_total_time=600``.
"""
import os
import sys
import tempfile

import atheris

import numpy as np
import pandas  # noqa: F401  (imported uninstrumented: instrumenting pandas takes minutes)

with atheris.instrument_imports(include=["dvfskit"]):
    import dvfskit

_DIR = tempfile.mkdtemp(prefix="dvfskit-fuzz-")
_PATH = os.path.join(_DIR, "input.csv")
_HEADERS = [b"", b"compute_freq_mhz,latency_ms\n", b"compute_freq_mhz,mem_freq_mhz,latency_ms,power_w\n",
            b"device,compute_freq_mhz,latency_ms,energy_j\n"]


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    choice = fdp.ConsumeIntInRange(0, 4)
    if choice == 0:
        text = fdp.ConsumeUnicodeNoSurrogates(len(data))
        try:
            model = dvfskit.Model(text, ["f", "m"])
        except ValueError:
            return
        model.evaluate({"f": np.array([1.5]), "m": np.array([800.0])}, np.full(len(model.parameters), 0.5))
        return
    content = _HEADERS[choice - 1] + fdp.ConsumeBytes(len(data))
    with open(_PATH, "wb") as fh:
        fh.write(content)
    try:
        df = dvfskit.read_measurements(_PATH, aggregate=None if choice % 2 else "mean")
    except ValueError:
        return
    for col in df.columns:
        if col.endswith(("_mhz", "_ms", "_w", "_j")):
            assert np.all(np.isfinite(df[col].to_numpy(dtype=float))), col


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
