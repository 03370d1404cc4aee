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
