"""An independent pure-Python reference of the governors' steady state (sampling window = period),
written from the kernel formulas in docs/math/governors.md with Python's exact integers, for the
tests (against the C++ core) and benchmarks/bench_governor.py (speed ratio).

Inputs are plain: per-knob ascending levels (MHz), the (K, d) level codes of the configurations,
(L, K) latency (ms) / power (W) tables, per-knob (L, K) busy shares (None: 1), per-knob
(name, tunables) governors (None: held at the maximum), period and idle power.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

DEFAULTS: Dict[str, Dict[str, Any]] = {
    "performance": {}, "powersave": {}, "userspace": {},
    "ondemand": {"up_threshold": 80, "sampling_down_factor": 1},
    "conservative": {"up_threshold": 80, "down_threshold": 20, "sampling_down_factor": 1, "freq_step": 5},
    "schedutil": {"rate_limit_us": 1000.0, "frequency_invariant": True},
    "simple_ondemand": {"upthreshold": 90, "downdifferential": 5},
    "sysscale_memory": {"up_threshold": 40, "down_threshold": 30},
}


def _us(ms: float) -> int:
    return max(0, int(round(ms * 1000.0)))


def _lowest_at_least(table: Sequence[int], target: int) -> int:
    target = min(max(target, table[0]), table[-1])
    return next(i for i, f in enumerate(table) if f >= target)


def _highest_at_most(table: Sequence[int], target: int) -> int:
    target = min(max(target, table[0]), table[-1])
    return max(i for i, f in enumerate(table) if f <= target)


def _closest(table: Sequence[int], target: int) -> int:
    target = min(max(target, table[0]), table[-1])
    return min(range(len(table)), key=lambda i: (abs(table[i] - target), table[i]))  # ties: the lower


def decide(name: str, t: Dict[str, Any], khz: List[int], hz: List[int], cur: int, window: float, busy: float,
           inv: float, st: Dict[str, Any]) -> int:
    """One decision (level index) of governor ``name``; ``st`` is its mutable state."""
    top = len(khz) - 1
    if name == "performance":
        return top
    if name == "powersave":
        return 0
    if name == "userspace":
        return _lowest_at_least(khz, int(round(t["setspeed_mhz"] * 1000)))
    elapsed, busy_us = _us(window), min(_us(busy), _us(window))
    load = 100 * busy_us // elapsed if elapsed > 0 else 0
    if name == "ondemand":
        if load > t["up_threshold"]:
            if cur < top:
                st["skips"] = t["sampling_down_factor"] - 1
            return top
        st["skips"] = 0
        return _closest(khz, khz[0] + load * (khz[-1] - khz[0]) // 100)
    if name == "conservative":
        req = st["requested"]
        if req > khz[-1] or req < khz[0]:
            req = khz[cur]
        step = t["freq_step"] * khz[-1] // 100 or 5
        st["requested"] = req
        if load > t["up_threshold"]:
            st["down_skip"] = 0
            if req == khz[-1]:
                return cur
            st["requested"] = min(req + step, khz[-1])
            return _highest_at_most(khz, st["requested"])
        st["down_skip"] += 1
        if st["down_skip"] < t["sampling_down_factor"]:
            return cur
        st["down_skip"] = 0
        if load < t["down_threshold"]:
            if req == khz[0]:
                return cur
            st["requested"] = req - step if req > step else khz[0]
            return _lowest_at_least(khz, st["requested"])
        return cur
    if name == "schedutil":
        if st["since"] * 1000.0 < t["rate_limit_us"]:
            return cur
        b = inv if t["frequency_invariant"] else busy
        util = int(np.floor(min(max(b / window, 0.0), 1.0) * 1024)) if window > 0 else 0
        perf = min(util + (util >> 2), 1024)
        ref = khz[-1] if t["frequency_invariant"] else khz[cur]
        return _lowest_at_least(khz, ref * perf // 1024)
    if name == "simple_ondemand":
        total, b = elapsed, busy_us
        if total == 0:
            return top
        if b >= 1 << 24 or total >= 1 << 24:
            b, total = b >> 7, total >> 7
        up, down = t["upthreshold"], t["downdifferential"]
        if b * 100 > total * up:
            return top
        if b * 100 > total * (up - down):
            return cur
        target = b * hz[cur] // total * 100 // (up - down // 2)
        return _lowest_at_least(hz, min(target, hz[-1]))
    if name == "sysscale_memory":
        if load > t["up_threshold"]:
            return top
        if load < t["down_threshold"]:
            return 0
        return cur
    raise ValueError(name)


def steady_state(levels: Sequence[Sequence[float]], codes: np.ndarray, latency: np.ndarray, power: np.ndarray,
                 busy: Sequence[Optional[np.ndarray]], governors: Sequence[Optional[Tuple[str, Dict[str, Any]]]],
                 period: float, idle: float, switch_time: Optional[Sequence[float]] = None,
                 switch_energy: Optional[Sequence[float]] = None, max_inferences: int = 10000) -> Dict[str, Any]:
    """Means over the cycle and the per-inference configurations (warm-up + cycle)."""
    K, d = codes.shape
    switch_time = list(switch_time or [0.0] * d)
    switch_energy = list(switch_energy or [0.0] * d)
    khz = [[int(round(v * 1000)) for v in lv] for lv in levels]
    hz = [[int(round(v * 1e6)) for v in lv] for lv in levels]
    T = latency.sum(axis=0)
    E = (latency * power).sum(axis=0) / 1000.0
    B = [(latency * (1.0 if b is None else b)).sum(axis=0) for b in busy]
    index = {tuple(int(c) for c in row): k for k, row in enumerate(codes)}

    def snap(lv: Tuple[int, ...]) -> int:
        if lv in index:
            return index[lv]
        return min(range(K), key=lambda k: (int(np.abs(codes[k] - lv).sum()), -int(codes[k].sum()), k))

    govs = [None if g is None else (g[0], {**DEFAULTS[g[0]], **g[1]}) for g in governors]
    start = tuple(len(levels[j]) - 1 if govs[j] is None or govs[j][0] not in ("powersave", "userspace")
                  else decide(govs[j][0], govs[j][1], khz[j], hz[j], 0, 0, 0, 0, {}) for j in range(d))
    k = snap(start)
    states = [{"requested": khz[j][codes[k][j]], "down_skip": 0, "skips": 0, "since": float("inf"),
               "win": 0.0, "busy": 0.0, "inv": 0.0} for j in range(d)]
    stall, stall_e, seen, done = 0.0, 0.0, {}, []
    for n in range(max_inferences):
        key = (k, round(stall * 1e6), round(stall_e * 1e12)) + tuple(
            (s["requested"], s["down_skip"], s["skips"],
             round(min(s["since"], g[1]["rate_limit_us"] / 1000.0) * 1e6) if g[0] == "schedutil" else 0,
             round(s["win"] * 1e6), round(s["busy"] * 1e6), round(s["inv"] * 1e6))
            for s, g in zip(states, govs) if g is not None and g[0] not in ("performance", "powersave", "userspace"))
        if key in seen:
            first = seen[key]
            cyc = done[first:]
            return {"energy_j": float(np.mean([c[0] for c in cyc])), "latency_ms": float(np.mean([c[1] for c in cyc])),
                    "miss_rate": float(np.mean([c[2] for c in cyc])), "warmup": first, "cycle_length": n - first,
                    "configs": [c[3] for c in done]}
        seen[key] = n
        duration = stall + T[k]
        cycle = max(period, duration)
        done.append((E[k] + stall_e + idle * (cycle - T[k]) / 1000.0, duration, duration > period * (1 + 1e-9), k))
        for j in range(d):
            s = states[j]
            ratio = levels[j][codes[k][j]] / levels[j][-1]
            s["win"] += cycle
            s["busy"] += B[j][k]
            s["inv"] += B[j][k] * ratio
            s["since"] += cycle
        lv = list(codes[k])
        for j, g in enumerate(govs):
            if g is None:
                continue
            s = states[j]
            if s["skips"] > 0:
                s["skips"] -= 1
                continue
            lv[j] = decide(g[0], g[1], khz[j], hz[j], int(codes[k][j]), s["win"], s["busy"], s["inv"], s)
            s["win"] = s["busy"] = s["inv"] = 0.0
        nk = snap(tuple(lv))
        stall = stall_e = 0.0
        if nk != k:
            for j in range(d):
                if codes[nk][j] != codes[k][j]:
                    stall += switch_time[j]
                    stall_e += switch_energy[j]
                    if govs[j] is not None and govs[j][0] == "schedutil":
                        states[j]["since"] = 0.0
            k = nk
    raise RuntimeError("no cycle")
