"""Regression tests for the expression parser and the loader (issue 15 items 6-9 and 12-16,
issue 14 items 4-7): each failed before its fix."""
from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

import dvfskit

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------------------------
# Expression parser (issue 15, items 6-9)


def test_unicode_names_parse_and_fit() -> None:
    model = dvfskit.Model("α*f + β", ["f"])
    assert model.parameters == ("α", "β")
    f = np.linspace(100.0, 1000.0, 12)
    fit = dvfskit.fit(model, {"f": f, "y": 2.5 * f + 7.0}, "y")
    assert fit.params["α"] == pytest.approx(2.5, rel=1e-9)
    assert fit.params["β"] == pytest.approx(7.0, rel=1e-6)


@pytest.mark.parametrize(
    "text, position, fragment",
    [
        ("α*f + $", 6, "unexpected '$'"),
        ("αβγ × f", 4, "unexpected '×' (U+00D7)"),
        ("x₁ + f", 1, "U+2081"),  # subscript digits are not identifier characters (as in Python)
        ("日本 + 2α", 5, "cannot start with a digit"),
        ("a*\ud800 + b", 2, "lone surrogate U+D800"),
    ],
)
def test_unicode_errors_are_expression_errors_with_character_carets(text: str, position: int, fragment: str) -> None:
    with pytest.raises(dvfskit.ExpressionError) as info:
        dvfskit.Model(text, ["f"])
    message = str(info.value)
    assert fragment in message and f"at position {position}" in message
    shown, caret = message.splitlines()[-2:]
    assert caret.index("^") - 2 == position and len(shown) - 2 == len(text)  # aligned by character


def _identifier_ranges(ok):  # type: ignore[no-untyped-def]
    """Boundaries of the code point ranges where ``ok`` holds (computed from Python itself)."""
    points = []
    previous = False
    for cp in range(0x80, sys.maxunicode + 1):
        now = ok(chr(cp))
        if now != previous:
            points += [cp - 1, cp]
        previous = now
    return points


def test_identifier_rules_match_str_isidentifier() -> None:
    inc = (ROOT / "cpp" / "src" / "unicode_identifier.inc").read_text()
    version = re.search(r"Unicode (\d+\.\d+\.\d+)", inc).group(1)  # type: ignore[union-attr]
    if version != unicodedata.unidata_version:
        pytest.skip(f"tables from Unicode {version}, this Python has {unicodedata.unidata_version}")
    rng = np.random.default_rng(0)
    sample = rng.integers(0x80, sys.maxunicode + 1, 3000).tolist()
    for label, ok, template in (
        ("start", lambda c: c.isidentifier(), "{c}"),
        ("continue", lambda c: ("a" + c).isidentifier(), "a{c}"),
    ):
        for cp in sorted(set(_identifier_ranges(ok) + sample)):
            c = chr(cp)
            if 0xD800 <= cp <= 0xDFFF:
                continue
            name = template.format(c=c)
            try:
                accepted = dvfskit.Model(f"{name} * f", ["f"]).parameters == (name,)
            except dvfskit.ExpressionError:
                accepted = False
            assert accepted == name.isidentifier(), (label, hex(cp), unicodedata.name(c, "?"))


def test_flat_sum_of_400_terms_is_not_nesting() -> None:
    text = " + ".join(f"a{i}*f" for i in range(400))
    model = dvfskit.Model(text, ["f"])
    assert len(model.parameters) == 400
    out = model.evaluate({"f": np.array([2.0])}, np.arange(400.0))
    assert out[0] == pytest.approx(2.0 * np.arange(400.0).sum())
    with pytest.raises(dvfskit.ExpressionError, match="nested too deeply"):
        dvfskit.Model("(" * 1000 + "f" + ")" * 1000, ["f"])


def test_nul_byte_gives_the_full_message() -> None:
    with pytest.raises(dvfskit.ExpressionError) as info:
        dvfskit.Model("a*f\x00 + b", ["f"])
    message = str(info.value)
    assert "NUL character" in message and "at position 3" in message
    assert "a*f\u2400 + b" in message  # the whole text, after the NUL too


def test_device_model_may_leave_out_an_input() -> None:
    """The Device docstring's own example: a power model that does not use m."""
    co = {"W": [120.0, 80.0], "M": [300.0, 500.0], "p0": [0.4, 0.6], "k": [2e-6, 1e-6]}
    dev = dvfskit.Device("W / f + M / m", "p0 + k * f**2", co, (100, 1000), (200, 3200))
    # the same problem written with an explicit zero coefficient on m
    ref = dvfskit.Device("W / f + M / m", "p0 + k * f**2 + q * m", {**co, "q": [0.0, 0.0]}, (100, 1000), (200, 3200))
    args = (dvfskit.Channel(1e6, 1e-7, 1e-17, 1.0), dvfskit.Server([0.5, 0.2, 0.0]), [2e5, 1e5, 0.0], 2.0)
    a = dvfskit.solve(dvfskit.Problem.from_models(dev, *args))
    b = dvfskit.solve(dvfskit.Problem.from_models(ref, *args))
    assert a.feasible and a.energy_j == pytest.approx(b.energy_j, rel=1e-6)
    # fits keep the typo check on an explicit parameter list
    with pytest.raises(dvfskit.ExpressionError, match="parameter 'b' does not appear"):
        dvfskit.Model("a * f", ["f"], ["a", "b"])
