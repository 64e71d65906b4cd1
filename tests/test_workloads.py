"""Workload block tables and the TX2 offloading example built on them."""
from __future__ import annotations

import numpy as np
import pytest

import dvfskit
from dvfskit import examples, workloads


def test_xception_matches_the_published_size() -> None:
    blocks = workloads.xception(299, 299)
    assert len(blocks) == 15
    # Chollet (2017) / Keras: about 8.4 billion multiply-adds at 299 x 299
    assert blocks["macs"].sum() == pytest.approx(8.4e9, rel=0.02)
    assert blocks["work_share"].sum() == pytest.approx(1.0)
    assert tuple(blocks.loc[3, "out_shape"]) == (19, 19, 728)
    assert tuple(blocks.loc[12, "out_shape"]) == (10, 10, 1024)
    assert blocks.loc[13, "out_bits"] == 2048 * 32
    assert blocks.attrs["input_bits"] == 299 * 299 * 3 * 32
    with pytest.raises(ValueError, match="at least 71"):
        workloads.xception(64, 64)


def test_split_by_work_preserves_totals() -> None:
    blocks = workloads.xception(200, 200)
    total = np.array([[10.0, 8.0], [6.0, 5.0]])
    per_block = workloads.split_by_work(total, blocks)
    assert per_block.shape == (15, 2, 2)
    np.testing.assert_allclose(per_block.sum(axis=0), total)


def test_tx2_offloading_problem_is_consistent_with_the_measurements() -> None:
    problem = examples.tx2_offloading_problem("400x400", deadline_ms=300)
    latency, power, fq, mq = examples.tx2_tables("400x400")
    np.testing.assert_allclose(problem.block_latency_ms.sum(axis=0), latency)
    assert "ASSUMPTION" not in problem.assumptions.to_string()  # plain labels
    assert set(problem.assumptions.index) >= {"block latency", "block power", "server", "channel"}
    solution = dvfskit.solve(problem)
    assert solution.feasible
    # all local at the deadline: the energy is the measured whole-model energy at the chosen (f, m)
    if solution.split == len(problem.out_bits) - 1:
        i, j = list(fq).index(solution.compute_freq_mhz), list(mq).index(solution.mem_freq_mhz)
        assert solution.energy_j == pytest.approx(latency[i, j] * power[i, j] / 1000, rel=1e-9)
    with pytest.raises(ValueError, match="input_size"):
        examples.tx2_offloading_problem("123x123")
