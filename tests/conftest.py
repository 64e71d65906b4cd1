import sys
from pathlib import Path

# tests/ helpers (nist.py) importable from every test module
sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 (pytest hook)
    """Print the NIST StRD accuracy table whenever its runs took part."""
    nist = sys.modules.get("test_nist")
    if nist is not None and nist._TABLE:
        terminalreporter.write_sep("-", "NIST StRD certified accuracy")
        terminalreporter.write_line(nist.lre_table())
