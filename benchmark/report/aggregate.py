"""Per-run metrics JSON -> one tidy DataFrame, and the across-seed summary.

Cell statistics: `mean` pools the test tasks of every seed; `ci95` is the mean over seeds of each
run's 95% CI over its test tasks (the paper's definition of ±, for one run); `seed_sd` is the
standard deviation of the per-seed means (model variance, which the paper's ± does not show).
A cell where fine-tuning diverged on some task has mean NaN and counts those tasks in `nonfinite`
(summed over seeds); `median` is the mean over seeds of each run's median task.
"""
import json
import pathlib

import numpy as np
import pandas as pd


def load_runs(runs_dir: pathlib.Path) -> tuple[pd.DataFrame, dict]:
    """Rows (method, seed, shots, steps, mean, ci95, std, n) and {(method, seed): metrics}."""
    rows, runs = [], {}
    for path in sorted(runs_dir.glob("*/seed*/metrics.json")):
        m = json.loads(path.read_text())
        runs[(m["method"], m["seed"])] = m
        for k, block in m["shots"].items():
            for s, cell in block["by_steps"].items():
                rows.append({"method": m["method"], "seed": m["seed"], "shots": int(k),
                             "steps": int(s), "inner_lr": block["inner_lr"], **cell})
    if not rows:
        raise FileNotFoundError(f"no metrics.json under {runs_dir}/<method>/seed<k>/: run "
                                "the evaluate stages first (`dvc repro`)")
    return pd.DataFrame(rows), runs


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (method, shots, steps), across seeds."""
    def cell(g: pd.DataFrame) -> pd.Series:
        # numpy, not pandas reductions: those skip NaN, and a seed whose fine-tuning diverged
        # (mean NaN) must make the pooled mean NaN, not vanish from it (or make it 0.0)
        n = g["n"].to_numpy()
        means = g["mean"].astype(float).to_numpy()
        return pd.Series({
            "mean": float(np.sum(means * n) / n.sum()),
            "ci95": float(np.mean(g["ci95"].astype(float).to_numpy())),
            "seed_sd": float(np.std(means, ddof=1)) if len(g) > 1 else 0.0,
            "median": float(g["median"].astype(float).mean()) if "median" in g else np.nan,
            "nonfinite": int(g["nonfinite"].sum()) if "nonfinite" in g else 0,
            "seeds": len(g), "tasks": int(n[0]),
        })

    return df.groupby(["method", "shots", "steps"]).apply(cell, include_groups=False).reset_index()
