"""Independent references for the per-block schedule (used by tests/test_schedule.py and
benchmarks/bench_schedule.py): a switching-cost matrix from configuration labels and a MILP."""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix


ALIAS_OF = {"compute_freq_mhz": "f_mhz", "mem_freq_mhz": "m_mhz"}


def switch_matrix(configs, any_=0.0, compute=0.0, memory=0.0, knobs=None):
    """(K, K) switching cost from configuration labels: ``any_`` for every change plus, for each
    knob whose value differs, its cost. ``configs``: a DataFrame with one column per knob (the
    old ``f_mhz``/``m_mhz`` columns name compute_freq_mhz/mem_freq_mhz) or a dvfskit.ConfigSet;
    ``knobs``: knob -> cost; ``compute``/``memory``: the costs of compute_freq_mhz/mem_freq_mhz."""
    table = configs.table if hasattr(configs, "table") else configs
    costs = dict(knobs or {})
    for cost, knob in ((compute, "compute_freq_mhz"), (memory, "mem_freq_mhz")):
        if cost:
            costs[knob] = costs.get(knob, 0.0) + cost
    k = len(table)
    idx = np.arange(k)
    out = any_ * (idx[:, None] != idx[None, :]).astype(float)
    for knob, cost in costs.items():
        column = knob if knob in table.columns else ALIAS_OF[knob]
        v = table[column].to_numpy()
        out = out + cost * (v[:, None] != v[None, :])
    return out


def milp_optimum(t, e, deadline, ts, es, initial=None, time_limit_s=120.0):
    """Transition-variable MILP (scipy/HiGHS): x[i,k] binary, y[i,a,b] >= 0 flows between blocks.
    Returns the optimal energy (J), inf when infeasible, None when HiGHS stops otherwise."""
    n, k = t.shape
    nx, ny = n * k, (n - 1) * k * k
    c = np.concatenate([e.ravel(), np.tile(es.ravel(), n - 1)])
    tcoef = np.concatenate([t.ravel(), np.tile(ts.ravel(), n - 1)])
    if initial is not None:
        c[:k] += es[initial]
        tcoef[:k] += ts[initial]
    rows = n + 2 * (n - 1) * k + 1
    A = lil_matrix((rows, nx + ny))
    lo, hi = np.zeros(rows), np.zeros(rows)
    r = 0
    for i in range(n):
        A[r, i * k:(i + 1) * k] = 1.0
        lo[r] = hi[r] = 1.0
        r += 1
    for i in range(1, n):
        base = nx + (i - 1) * k * k
        for a in range(k):  # out-flow of a at block i-1
            A[r, base + a * k:base + (a + 1) * k] = 1.0
            A[r, (i - 1) * k + a] = -1.0
            r += 1
        for b in range(k):  # in-flow of b at block i
            for a in range(k):
                A[r, base + a * k + b] = 1.0
            A[r, i * k + b] = -1.0
            r += 1
    A[r, :] = tcoef
    lo[r], hi[r] = -np.inf, deadline
    integrality = np.concatenate([np.ones(nx), np.zeros(ny)])
    res = milp(
        c,
        constraints=LinearConstraint(A.tocsr(), lo, hi),
        integrality=integrality,
        bounds=Bounds(0.0, 1.0),
        options={"mip_rel_gap": 1e-9, "time_limit": time_limit_s},
    )
    if res.status != 0:
        return math.inf if res.status == 2 else None
    return float(res.fun)
