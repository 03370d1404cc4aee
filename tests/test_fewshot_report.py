"""The few-shot report: Table 1 cells pool seeds, and each cell says where its numbers come from."""
import json

from pipelines.fewshot import report


def _run(runs, name, seed, accuracy, segments):
    d = runs / name
    d.mkdir(parents=True)
    iterations = segments[-1]["last"]
    (d / "metrics.json").write_text(json.dumps({
        "experiment": "omniglot_5w1s", "method": "maml", "seed": seed, "reported_step": 3,
        "by_steps": {str(s): {"mean": accuracy, "ci95": 0.004, "n": 600} for s in range(4)},
        "train": {"iterations": iterations, "paper_iterations": 60000,
                  "wall_time_s": sum(s["wall_time_s"] for s in segments),
                  "budget": {"profile": "cpu"}, "segments": segments},
    }))
    (d / "curve.json").write_text(json.dumps([{"step": iterations, "meta_loss": 0.1,
                                               "val_accuracy": accuracy}]))


def _segment(first, last, commit, hours=1.0):
    return {"first": first, "last": last, "threads": 1, "wall_time_s": 3600 * hours,
            "commit": commit}


def test_cells_pool_seeds_and_list_the_commits_that_trained_them(tmp_path):
    runs = tmp_path / "runs"
    _run(runs, "omniglot_5w1s-maml-0", 0, 0.99, [
        _segment(1, 20000, "not recorded", 4), _segment(20001, 30000, "aaa"),
        _segment(30001, 40000, "aaa"), _segment(40001, 60000, "bbb")])
    _run(runs, "omniglot_5w1s-maml-1", 1, 0.97, [_segment(1, 60000, "bbb", 9)])
    report.main(["--runs", str(runs), "--out", str(tmp_path / "out"),
                 "--params", "params.yaml"])

    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    (cell,) = summary["cells"]
    assert cell["seeds"] == [0, 1] and abs(cell["accuracy"] - 98.0) < 1e-9
    assert cell["trained_by"] == {
        "0": ["not recorded (0–20k)", "aaa (20k–40k)", "bbb (40k–60k)"], "1": ["bbb (0–60k)"]}
    table = (tmp_path / "out" / "table1.md").read_text()
    assert "98.0 ± 0.4 (paper 98.7 ± 0.4, gap -0.7) · 60k it" in table
    assert ("| Omniglot (conv) 5-way 1-shot | MAML | cpu | 0,1 | 60000 | 7.0, 9.0 "
            "| seed 0: not recorded (0–20k), aaa (20k–40k), bbb (40k–60k); seed 1: bbb (0–60k) |"
            ) in table


def test_a_stretch_says_on_how_many_cores_it_ran_where_that_was_recorded(tmp_path):
    runs = tmp_path / "runs"
    _run(runs, "omniglot_5w1s-maml-0", 0, 0.99, [
        _segment(1, 20000, "aaa"), {**_segment(20001, 30000, "aaa"), "cores": 1},
        {**_segment(30001, 40000, "aaa"), "cores": 2}, {**_segment(40001, 60000, "aaa"), "cores": 2}])
    report.main(["--runs", str(runs), "--out", str(tmp_path / "out"), "--params", "params.yaml"])

    (cell,) = json.loads((tmp_path / "out" / "summary.json").read_text())["cells"]
    assert cell["trained_by"] == {"0": ["aaa (0–20k)", "aaa (20k–30k, 1 core)",
                                        "aaa (30k–60k, 2 cores)"]}
