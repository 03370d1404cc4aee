"""Report figures: the same data draw the same bytes (bootstrap bands seeded, no version stamp)."""
import numpy as np
import pandas as pd

from benchmark.report import figures


def _per_seed() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame([
        {"method": m, "shots": k, "steps": s, "seed": seed, "mean": 1.0 / (s + 1) + rng.random()}
        for m in ("maml", "pretrained") for k in (5, 10) for s in range(4) for seed in range(3)
    ])


def test_a_figure_with_bootstrapped_bands_renders_to_the_same_bytes(tmp_path):
    data = _per_seed()
    figures.mse_vs_steps(data, tmp_path / "a.png")
    figures.mse_vs_steps(data, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert b"matplotlib" not in (tmp_path / "a.png").read_bytes()


def test_different_data_draw_a_different_figure(tmp_path):
    data = _per_seed()
    figures.mse_vs_steps(data, tmp_path / "a.png")
    figures.mse_vs_steps(data.assign(mean=data["mean"] * 2), tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() != (tmp_path / "b.png").read_bytes()


def _fewshot_runs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two settings x two methods x two seeds: per-step accuracies and learning curves."""
    rng = np.random.default_rng(1)
    runs = [(e, m, seed) for e in ("omniglot_5w1s", "omniglot_5w5s") for m in ("maml", "fomaml")
            for seed in range(2)]
    steps = pd.DataFrame([{"run": f"{e}-{m}-{seed}", "experiment": e, "method": m, "steps": s,
                           "accuracy": 20 + 70 * (s > 0) + 5 * rng.random()}
                          for e, m, seed in runs for s in range(4)])
    curves = pd.DataFrame([{"run": f"{e}-{m}-{seed}", "experiment": e, "method": m, "step": it,
                            "meta_loss": 1 / it + rng.random(),
                            "val_accuracy": 0.5 + 0.4 * rng.random() if it % 200 == 0 else None}
                           for e, m, seed in runs for it in range(100, 1001, 100)])
    return steps, curves


def test_fewshot_figures_with_seed_bands_render_to_the_same_bytes(tmp_path):
    steps, curves = _fewshot_runs()
    for name in ("a", "b"):
        figures.accuracy_vs_steps(steps, tmp_path / f"steps_{name}.png")
        figures.accuracy_curves(curves, tmp_path / f"curves_{name}.png")
    for kind in ("steps", "curves"):
        assert (tmp_path / f"{kind}_a.png").read_bytes() == (tmp_path / f"{kind}_b.png").read_bytes()
    figures.accuracy_vs_steps(steps.assign(accuracy=steps.accuracy / 2), tmp_path / "steps_c.png")
    assert (tmp_path / "steps_c.png").read_bytes() != (tmp_path / "steps_a.png").read_bytes()
