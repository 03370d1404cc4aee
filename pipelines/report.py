"""DVC stage `report`: tables (ours vs the paper) and figures from every run's metrics.

Writes <out>/summary.json (a DVC metric: every cell across seeds, the paper comparison and the
provenance), <out>/tables/*.md, <out>/figures/*.png, and the headline table into README.md
between its markers. Imports no TensorFlow.
"""
import argparse
import json
import math
import pathlib

import pandas as pd

from benchmark.report import aggregate, figures, readme, tables

README_START, README_END = "<!-- sinusoid-table:start -->", "<!-- sinusoid-table:end -->"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=pathlib.Path, required=True)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--readme", type=pathlib.Path, help="README whose table block to refresh")
    args = parser.parse_args(argv)

    per_seed, runs = aggregate.load_runs(args.runs)
    summary = aggregate.summarize(per_seed)
    methods = list(dict.fromkeys(m for m, _ in sorted(runs)))
    order = [m for m in ("maml", "maml_reference_lr", "fomaml", "pretrained", "oracle",
                         "random_init", "context_vector", "multitask_none", "multitask_l2",
                         "multitask_mean") if m in methods]
    methods = order + [m for m in methods if m not in order]
    comparison = tables.comparison_rows(summary)

    (args.out / "tables").mkdir(parents=True, exist_ok=True)
    (args.out / "figures").mkdir(parents=True, exist_ok=True)
    prov = tables.provenance(runs, methods)
    headline = _headline(summary, methods, prov)
    (args.out / "tables" / "table2_k5.md").write_text(headline + "\n")
    for k in sorted(per_seed.shots.unique()):
        body = [f"# Sinusoid, K={k}: query MSE, mean ± 95% CI over test tasks [seed sd]", "",
                tables.full_table(summary, k, [0, 1, 2, 5, 9, 10], methods)]
        body += ["", "Against the paper: exact values (appendix Table 2) and values read off "
                 "Fig. 3/6 (≈, grade D: bands)", "", tables.paper_table(summary, k, methods)]
        (args.out / "tables" / f"sinusoid_k{k}.md").write_text("\n".join(body + ["", prov]) + "\n")

    _figures(args, per_seed, runs, methods)
    profiles = sorted({r["profile"] for r in runs.values()})
    aggregate_json = {
        "schema": tables.SUMMARY_SCHEMA, "experiment": "sinusoid", "profiles": profiles,
        "seeds": sorted({s for _, s in runs}), "methods": methods,
        "cells": summary.to_dict(orient="records"), "paper_comparison": comparison,
        "runs": [{"method": m, "seed": s, "profile": r["profile"], **r["train"]}
                 for (m, s), r in sorted(runs.items())],
    }
    (args.out / "summary.json").write_text(json.dumps(_nan_to_null(aggregate_json), indent=1,
                                                      allow_nan=False) + "\n")
    if args.readme:
        readme.refresh_block(args.readme, headline, README_START, README_END)
    print(headline)


def _headline(summary: pd.DataFrame, methods: list[str], prov: str) -> str:
    return "\n".join([
        "Sinusoid regression, 5-shot: query MSE after 1/5/10 gradient steps (paper appendix "
        "Table 2). Cell: ours ± 95% CI over the test tasks (paper, gap = ours − paper).", "",
        tables.paper_table(summary, 5, methods, confidence="A"), "", prov,
    ])


def _figures(args, per_seed: pd.DataFrame, runs: dict, methods: list[str]) -> None:
    figs = args.out / "figures"
    figures.mse_vs_steps(per_seed.assign(method=pd.Categorical(per_seed.method, methods)),
                         figs / "mse_vs_steps.png")
    first_seed = min(s for _, s in runs)
    fit_methods = [m for m in ("maml", "pretrained") if (m, first_seed) in runs]
    if fit_methods:
        figures.fits({m: json.loads((args.runs / m / f"seed{first_seed}" / "fits.json")
                                    .read_text()) for m in fit_methods}, figs / "fits.png")
    rows = []
    for m, s in runs:
        curve_path = args.runs / m / f"seed{s}" / "curve.json"
        if curve_path.exists():
            rows += [{"method": m, "seed": s, **p} for p in json.loads(curve_path.read_text())]
    if rows:
        figures.learning_curves(pd.DataFrame(rows), figs / "learning_curves.png")


def _nan_to_null(obj):
    """NaN (a diverged cell's mean) as JSON null: NaN is not JSON, and DVC and jq reject it."""
    if isinstance(obj, dict):
        return {k: _nan_to_null(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_nan_to_null(v) for v in obj]
    return None if isinstance(obj, float) and math.isnan(obj) else obj


if __name__ == "__main__":
    main()
