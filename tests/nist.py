"""The NIST StRD nonlinear regression problems (data/nist/), each model written as an expression."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

NIST_DIR = Path(__file__).resolve().parents[1] / "data" / "nist"

# Model formulas as NIST states them (Nelson is fitted on log(y)).
MODELS: Dict[str, str] = {
    "Misra1a": "b1*(1-exp(-b2*x))",
    "Chwirut2": "exp(-b1*x)/(b2+b3*x)",
    "Chwirut1": "exp(-b1*x)/(b2+b3*x)",
    "Lanczos3": "b1*exp(-b2*x) + b3*exp(-b4*x) + b5*exp(-b6*x)",
    "Gauss1": "b1*exp(-b2*x) + b3*exp(-(x-b4)**2/b5**2) + b6*exp(-(x-b7)**2/b8**2)",
    "Gauss2": "b1*exp(-b2*x) + b3*exp(-(x-b4)**2/b5**2) + b6*exp(-(x-b7)**2/b8**2)",
    "DanWood": "b1*x**b2",
    "Misra1b": "b1 * (1-(1+b2*x/2)**(-2))",
    "Kirby2": "(b1 + b2*x + b3*x**2) / (1 + b4*x + b5*x**2)",
    "Hahn1": "(b1+b2*x+b3*x**2+b4*x**3) / (1+b5*x+b6*x**2+b7*x**3)",
    "Nelson": "b1 - b2*x1 * exp(-b3*x2)",
    "MGH17": "b1 + b2*exp(-x*b4) + b3*exp(-x*b5)",
    "Lanczos1": "b1*exp(-b2*x) + b3*exp(-b4*x) + b5*exp(-b6*x)",
    "Lanczos2": "b1*exp(-b2*x) + b3*exp(-b4*x) + b5*exp(-b6*x)",
    "Gauss3": "b1*exp(-b2*x) + b3*exp(-(x-b4)**2/b5**2) + b6*exp(-(x-b7)**2/b8**2)",
    "Misra1c": "b1 * (1-(1+2*b2*x)**(-.5))",
    "Misra1d": "b1*b2*x*((1+b2*x)**(-1))",
    "Roszman1": "b1 - b2*x - atan(b3/(x-b4))/pi",
    "ENSO": "b1 + b2*cos(2*pi*x/12) + b3*sin(2*pi*x/12) + b5*cos(2*pi*x/b4) + b6*sin(2*pi*x/b4)"
    " + b8*cos(2*pi*x/b7) + b9*sin(2*pi*x/b7)",
    "MGH09": "b1*(x**2+x*b2) / (x**2+x*b3+b4)",
    "Thurber": "(b1 + b2*x + b3*x**2 + b4*x**3) / (1 + b5*x + b6*x**2 + b7*x**3)",
    "BoxBOD": "b1*(1-exp(-b2*x))",
    "Rat42": "b1 / (1+exp(b2-b3*x))",
    "MGH10": "b1 * exp(b2/(x+b3))",
    "Eckerle4": "(b1/b2) * exp(-0.5*((x-b3)/b2)**2)",
    "Rat43": "b1 / ((1+exp(b2-b3*x))**(1/b4))",
    "Bennett5": "b1 * (b2+x)**(-1/b3)",
}


@dataclass
class NistProblem:
    name: str
    expr: str
    inputs: List[str]
    parameters: List[str]
    starts: Tuple[List[float], List[float]]
    certified: List[float]
    certified_stderr: List[float]
    certified_rss: float
    data: Dict[str, np.ndarray]
    y: np.ndarray


def load(name: str) -> NistProblem:
    lines = (NIST_DIR / f"{name}.dat").read_text().splitlines()
    header = "\n".join(lines[:40])
    first, last = map(int, re.search(r"Data\s+\(lines\s+(\d+)\s+to\s+(\d+)\)", header).groups())
    names, start1, start2, cert, cert_sd = [], [], [], [], []
    rss = math.nan
    for line in lines[:first - 1]:
        m = re.match(r"\s*(b\d+)\s*=\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", line)
        if m:
            names.append(m.group(1))
            start1.append(float(m.group(2)))
            start2.append(float(m.group(3)))
            cert.append(float(m.group(4)))
            cert_sd.append(float(m.group(5)))
        m = re.match(r"\s*Residual Sum of Squares:\s+(\S+)", line)
        if m:
            rss = float(m.group(1))
    table = np.array([[float(v) for v in line.split()] for line in lines[first - 1:last]])
    if name == "Nelson":
        inputs = ["x1", "x2"]
        y = np.log(table[:, 0])
    else:
        inputs = ["x"]
        y = table[:, 0]
    data = {k: table[:, i + 1] for i, k in enumerate(inputs)}
    return NistProblem(name, MODELS[name], inputs, names, (start1, start2), cert, cert_sd, rss, data, y)


def lre(value: float, certified: float) -> float:
    """Log relative error: correct significant digits, clamped to [0, 11]."""
    if value == certified:
        return 11.0
    denom = abs(certified) if certified != 0 else 1.0
    err = abs(value - certified) / denom
    return float(min(11.0, max(0.0, -math.log10(err)))) if math.isfinite(err) else 0.0
