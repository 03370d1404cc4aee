"""The speed table: fastest configuration per paper config, its FLOP floor, and clear errors."""
import json
import pathlib

import pytest

from benchmark.report import speed_table
from pipelines import speed_report


def _row(experiment, order, ms, formulation="tiled", threads=1, gflop=10.0, mb=900.0):
    return {"experiment": experiment, "order": order, "formulation": formulation, "xla": True,
            "threads": threads, "onednn": False, "ms_per_iteration": ms,
            "gflop_per_iteration": gflop, "peak_rss_mb": mb}


def test_the_fastest_configuration_and_its_floor_are_reported():
    results = [_row("omniglot_5w1s", "second", 400.0),
               _row("omniglot_5w1s", "second", 280.0, formulation="loop"),
               _row("omniglot_5w1s", "first", 150.0, gflop=5.0)]
    text = speed_table.markdown(results, peak=100.0, peak_one_thread=60.0, cores=2)
    second = next(line for line in text.splitlines() if "Omniglot 5w1s, second" in line)
    assert ("| 280 ms | loop + XLA, 1 thread | ≤ 60 ms: **missed** by 220 ms (**below the floor**) |"
            in second)
    assert "| 100 ms | 2.8× |" in second  # 10 GFLOP at 100 GFLOP/s
    first = next(line for line in text.splitlines() if "Omniglot 5w1s, first" in line)
    assert "(125% of peak)" not in first and "| ≤ 40 ms: **missed** by 110 ms (**below" in first
    assert "MiniImageNet" not in text  # not measured: no row


def test_a_target_above_the_floor_shows_the_share_of_peak_it_demands():
    results = [_row("miniimagenet_5w1s", "second", 2000.0, gflop=64.0)]
    text = speed_table.markdown(results, peak=100.0, peak_one_thread=60.0, cores=2)
    assert "| ≤ 800 ms: **missed** by 1200 ms (80% of peak) |" in text  # 64 GFLOP: 640 ms


@pytest.mark.parametrize("ours, cell", [
    (60.36, "| 60.4 ms | loop, 1 thread | ≤ 60 ms: **missed** by 0.36 ms (33% of peak) |"),
    (59.6, "| 59.6 ms | loop, 1 thread | ≤ 60 ms: met (33% of peak) |"),
    (60.0, "| 60 ms | loop, 1 thread | ≤ 60 ms: met (33% of peak) |")])
def test_a_time_near_its_target_is_shown_precisely_enough_to_tell_met_from_missed(ours, cell):
    results = [_row("omniglot_5w1s", "second", ours, formulation="loop", gflop=2.0)]
    results[0]["xla"] = False
    text = speed_table.markdown(results, peak=100.0, peak_one_thread=60.0, cores=2)
    assert cell in text  # 2 GFLOP at 100 GFLOP/s: a 20 ms floor, a third of the 60 ms target


def test_results_without_the_roofline_are_refused(tmp_path):
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"machine": {"cpus": 2, "matmul_gflop_per_s_per_thread": 80.0},
                               "results": []}))
    with pytest.raises(SystemExit, match="dvc repro speed"):
        speed_report.main([str(old), "--out", str(tmp_path / "speed.md")])


def test_each_experiment_costs_its_fastest_configuration_at_the_paper_budget():
    results = [_row("omniglot_20w5s", "second", 15000.0, mb=2500.0),
               _row("omniglot_20w5s", "second", 12000.0, threads=2, mb=2600.0),
               _row("sinusoid", "second", 0.36)]
    results[1]["sampler_ms_per_meta_batch"] = 6.13
    text = speed_table.cost_markdown(results)
    assert ("| omniglot_20w5s | second | 12000 ms | tiled + XLA, 2 threads | 2600 | 6.1 | 60,000 | "
            "200.0 h |") in text
    assert "| sinusoid | second | 0.36 ms | tiled + XLA, 1 thread | 900 | — | 70,000 | 25 s |" in text


def test_configurations_measured_on_one_and_on_both_cores_are_paired():
    results = [_row("omniglot_5w1s", "second", 200.0, formulation="loop"),
               _row("omniglot_5w1s", "second", 250.0),
               _row("omniglot_5w1s", "second", 150.0, threads=2),
               _row("miniimagenet_5w1s", "second", 1900.0, formulation="loop"),
               _row("omniglot_5w1s", "first", 80.0, formulation="loop", threads=2)]
    results[3]["onednn"] = True
    results.append(dict(results[3], threads=2, ms_per_iteration=1000.0))
    results.append(dict(results[3], threads=2, ms_per_iteration=950.0, across_ops=True))
    lines = speed_table.threads_markdown(results).splitlines()
    assert lines[2:] == [  # tiled with tiled, and the first-order row has no 1-thread twin
        "| omniglot_5w1s | second | tiled + XLA | 250 ms | 150 ms (2 threads) | 1.67× |",
        "| miniimagenet_5w1s | second | loop + XLA, oneDNN | 1900 ms | 1000 ms (2 threads) | 1.90× |",
        "| miniimagenet_5w1s | second | loop + XLA, tasks side by side, oneDNN | 1900 ms | 950 ms "
        "(2 threads) | 2.00× |"]
    assert speed_table.threads_markdown(results[:2]) == ""


def test_a_row_measured_in_rounds_shows_their_range():
    row = _row("sinusoid", "second", 0.383)
    row["ms_per_iteration_rounds"] = [0.497, 0.383, 0.371]
    text = speed_table.markdown([row], peak=130.0, peak_one_thread=85.0, cores=2)
    assert "| 0.383 ms (0.371–0.497 ms, 3 rounds) | tiled + XLA, 1 thread |" in text
    single = speed_table.markdown([_row("sinusoid", "second", 0.383)], peak=130.0,
                                  peak_one_thread=85.0, cores=2)
    assert "| 0.383 ms | tiled + XLA, 1 thread |" in single


def _results_file(path, peak, rows):
    path.write_text(json.dumps({"machine": {"cpus": 2, "matmul_gflop_per_s_per_thread": peak / 2,
                                            "matmul_gflop_per_s_all_cores": peak},
                                "results": rows}))
    return str(path)


def test_results_from_machines_of_different_speed_are_flagged(tmp_path):
    sinusoid = _results_file(tmp_path / "s.json", 413.0, [_row("sinusoid", "second", 0.28)])
    fewshot = _results_file(tmp_path / "f.json", 123.0, [_row("omniglot_5w1s", "second", 195.0)])
    out = tmp_path / "speed.md"
    speed_report.main([sinusoid, fewshot, "--out", str(out)])
    assert "machines of different speed" in out.read_text()
    assert "f.json at 123 GFLOP/s" in out.read_text()
    same = _results_file(tmp_path / "f2.json", 400.0, [_row("omniglot_5w1s", "second", 195.0)])
    speed_report.main([sinusoid, same, "--out", str(out)])
    assert "different speed" not in out.read_text()


def test_the_report_names_the_cpu_the_rows_ran_on(tmp_path):
    out = tmp_path / "speed.md"
    old = _results_file(tmp_path / "old.json", 400.0, [_row("sinusoid", "second", 0.28)])
    speed_report.main([old, "--out", str(out)])
    assert "Measured on" not in out.read_text()  # a file from before the model was recorded
    new = tmp_path / "new.json"
    raw = json.loads(pathlib.Path(old).read_text())
    raw["machine"]["cpu_model"] = "AMD EPYC 9R45"
    new.write_text(json.dumps(raw))
    speed_report.main([old, str(new), "--out", str(out)])
    assert "Measured on: AMD EPYC 9R45 (2 cores)." in out.read_text()
