"""The smoke pipeline: `dvc repro` in a scratch copy produces every output, and is then done."""
import json

import pytest
import yaml

from pipelines import demo, gate


@pytest.mark.slow
def test_smoke_pipeline_produces_every_output(tmp_path):
    dest = demo.run_smoke(tmp_path / "copy")
    params = yaml.safe_load((dest / "params.yaml").read_text())
    runs = dest / "results/sinusoid/runs"
    for method in params["methods"]:
        for seed in params["seeds"]:
            run = runs / method / f"seed{seed}"
            for name in ("model.npz", "train.json", "curve.json", "metrics.json", "fits.json"):
                assert (run / name).exists(), run / name
            metrics = json.loads((run / "metrics.json").read_text())
            assert metrics["profile"] == "smoke" and set(metrics["shots"]) == {"5", "10", "20"}
            assert len(metrics["shots"]["5"]["by_steps"]) == 11
    out = dest / "results/sinusoid"
    for name in ("summary.json", "tables/table2_k5.md", "tables/sinusoid_k10.md",
                 "figures/fits.png", "figures/mse_vs_steps.png", "figures/learning_curves.png"):
        assert (out / name).stat().st_size > 0, name
    assert "| maml |" in (dest / "README.md").read_text()  # the headline table was generated
    assert (dest / "dvc.lock").exists()
    speed = json.loads((dest / "results/speed/sinusoid.json").read_text())
    assert speed["quick"] and all(r["ms_per_iteration"] > 0 and r["gflop_per_iteration"] > 0
                                  for r in speed["results"])
    assert "| sinusoid, second order |" in (dest / "results/speed/speed.md").read_text()
    assert "| Omniglot 5w1s, second order |" in (dest / "README.md").read_text()

    fewshot = json.loads((dest / "results/fewshot/summary.json").read_text())
    assert fewshot["profile"] == "smoke"
    assert {(c["experiment"], c["method"]) for c in fewshot["cells"]} == {
        (r["experiment"], r["method"]) for r in params["fewshot"]["runs"].values()}
    for run in params["fewshot"]["runs"]:
        metrics = json.loads((dest / "results/fewshot/runs" / run / "metrics.json").read_text())
        assert len(metrics["by_steps"]) == 11 and metrics["num_tasks"] == 8
        budget = json.loads((dest / "results/fewshot/runs" / run / "budget.json").read_text())
        assert budget["profile"] == "smoke" and metrics["train"]["budget"] == budget
        # One process trained it, at the scratch copy's commit.
        (segment,) = metrics["train"]["segments"]
        assert (segment["first"], segment["last"]) == (1, metrics["train"]["iterations"])
        assert segment["commit"] == metrics["train"]["commit"] != "unknown"
    assert (dest / "results/fewshot/figures/learning_curves.png").stat().st_size > 0
    assert "needs images" in (dest / "README.md").read_text()

    # Everything is up to date but MiniImageNet's stage, which waits for the user's images.
    assert demo.stale_stages(dest, demo.tool_env()) == ["miniimagenet_prepare"]

    # 200 iterations are far from trained: the gate must call that a regression.
    summary = str(out / "summary.json")
    assert gate.main(["--only", "sinusoid", "--summary", summary, "--profile", "smoke",
                      "--min-seeds", "1"]) == 1
    assert gate.main(["--only", "fewshot", "--fewshot-summary",
                      str(dest / "results/fewshot/summary.json")]) == 1
