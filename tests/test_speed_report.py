"""The speed table: fastest configuration per paper config, its FLOP floor, and clear errors."""
import json

import pytest

from benchmark.report import speed_table
from pipelines import speed_report


def _row(experiment, order, ms, formulation="tiled", threads=1, gflop=10.0):
    return {"experiment": experiment, "order": order, "formulation": formulation, "xla": True,
            "threads": threads, "onednn": False, "ms_per_iteration": ms,
            "gflop_per_iteration": gflop}


def test_the_fastest_configuration_and_its_floor_are_reported():
    results = [_row("omniglot_5w1s", "second", 400.0),
               _row("omniglot_5w1s", "second", 280.0, formulation="loop"),
               _row("omniglot_5w1s", "first", 150.0, gflop=5.0)]
    text = speed_table.markdown(results, matmul_peak=50.0, cores=2)
    second = next(line for line in text.splitlines() if "Omniglot 5w1s, second" in line)
    assert "| 280 ms | loop + XLA, 1 thread | ≤ 60 ms |" in second
    assert "| 100 ms | 2.8× |" in second  # 10 GFLOP at 2 x 50 GFLOP/s
    assert "MiniImageNet" not in text  # not measured: no row


def test_results_without_the_roofline_are_refused(tmp_path):
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"machine": {"cpus": 2}, "results": []}))
    with pytest.raises(SystemExit, match="dvc repro speed"):
        speed_report.main([str(old), "--out", str(tmp_path / "speed.md")])
