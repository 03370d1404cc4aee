"""DVC stage `fewshot_report`: Table 1 (ours vs the paper), learning curves and accuracy vs steps.

Writes <out>/summary.json (a DVC metric: every run's accuracy at the paper's step with its budget,
the paper comparison the gate checks, and the comparison of the cells the paper has no number
for with our accepted result), <out>/table1.md, <out>/figures/*.png, and the table
into README.md between its markers. Imports no TensorFlow.
"""
import argparse
import json
import pathlib

import pandas as pd

from benchmark.report import figures, readme, table1
from pipelines.fewshot import settings

README_START, README_END = "<!-- fewshot-table:start -->", "<!-- fewshot-table:end -->"
METHODS = {"maml": "MAML", "fomaml": "MAML, first order", "context_vector": "context vector",
           "finetune": "fine-tuning baseline", "nearest_neighbour": "nearest-neighbour baseline"}
# experiment -> its name in prose, e.g. "Omniglot (conv) 20-way 1-shot"
SETTINGS = {e: f"{group} {table1.LABELS[e]}" for group, experiments in table1.COLUMNS.items()
            for e in experiments}


def load(runs_dir: pathlib.Path) -> tuple[list[dict], pd.DataFrame, pd.DataFrame]:
    """(one row per (experiment, method) at the paper's step, per-step rows, curve rows)."""
    per_run, steps, curves = [], [], []
    for path in sorted(runs_dir.glob("*/metrics.json")):
        m = json.loads(path.read_text())
        rep = m["by_steps"][str(m["reported_step"])]
        per_run.append({"experiment": m["experiment"], "method": m["method"], "seed": m["seed"],
                        "accuracy": 100 * rep["mean"], "ci95": 100 * rep["ci95"], "n": rep["n"],
                        "iterations": m["train"]["iterations"],
                        "paper_iterations": m["train"]["paper_iterations"],
                        "train_wall_time_s": m["train"]["wall_time_s"],
                        "profile": m["train"]["budget"]["profile"],
                        "trained_by": _trained_by(m["train"]["segments"]),
                        "reported_step": m["reported_step"]})
        steps += [{"run": path.parent.name, "experiment": m["experiment"], "method": m["method"],
                   "steps": int(s), "accuracy": 100 * c["mean"]} for s, c in m["by_steps"].items()]
        curve = json.loads((path.parent / "curve.json").read_text())
        curves += [{"run": path.parent.name, "experiment": m["experiment"], "method": m["method"],
                    **c} for c in curve]
    cells = []
    if per_run:
        df = pd.DataFrame(per_run)
        for (e, meth), g in df.groupby(["experiment", "method"], sort=False):
            cells.append({
                "experiment": e, "method": meth, "seeds": sorted(g.seed.tolist()), "tasks": int(g.n.iloc[0]),
                "accuracy": float((g.accuracy * g.n).sum() / g.n.sum()), "ci95": float(g.ci95.mean()),
                "iterations": int(g.iterations.min()), "paper_iterations": int(g.paper_iterations.max()),
                "train_wall_time_s": [float(w) for w in g.train_wall_time_s],
                "profiles": sorted(set(g.profile)),
                "trained_by": {str(seed): spans for seed, spans in zip(g.seed, g.trained_by, strict=True)},
                "reported_step": int(g.reported_step.iloc[0]),
            })
    return cells, pd.DataFrame(steps), pd.DataFrame(curves)


def _trained_by(segments: list[dict]) -> list[str]:
    """The commits that trained a run, oldest first, each with the iterations it trained and, where
    recorded, on how many cores (a wall time reads against it)."""
    spans: list[list] = []  # [commit, cores, first, last]; consecutive alike segments merge
    for s in segments:
        key = [s["commit"], s.get("cores")]
        if spans and spans[-1][:2] == key and spans[-1][3] + 1 == s["first"]:
            spans[-1][3] = s["last"]
        else:
            spans.append([*key, s["first"], s["last"]])
    return [f"{c} ({_k(first - 1)}–{_k(last)}{_cores(n)})" for c, n, first, last in spans]


def _cores(n: int | None) -> str:
    """A span's `, n cores` suffix; nothing where the segments did not record it."""
    return f", {n} core{'s' if n > 1 else ''}" if n else ""


def _k(iterations: int) -> str:
    return f"{iterations / 1000:g}k" if iterations >= 1000 else str(iterations)


def _against(cells: list[dict], reference) -> list[tuple[dict, table1.Cell, bool, float]]:
    """(cell, its reference, whether it ran the paper's budget, the lowest accuracy allowed) for
    the cells `reference` has one for."""
    rows = []
    for c in cells:
        ref = reference(c["method"], c["experiment"])
        if ref is not None:
            full = c["iterations"] >= c["paper_iterations"]
            rows.append((c, ref, full, table1.allowed(ref, c["ci95"], full)))
    return rows


def compare(cells: list[dict]) -> list[dict]:
    """Cells against the paper; a documented deviation below the paper's tolerance is held at its
    own floor."""
    rows = []
    for c, paper, full, limit in _against(cells, table1.paper_cell):
        within = c["accuracy"] >= limit
        known = None if within else table1.KNOWN_DEVIATIONS.get((c["method"], c["experiment"]))
        rows.append({**c, "paper": paper.accuracy, "paper_ci95": paper.ci95,
                     "gap": c["accuracy"] - paper.accuracy, "allowed": limit,
                     "full_budget": full, "known": known.reason if known else None,
                     "known_floor": known.floor if known else None,
                     "ok": c["accuracy"] >= (known.floor if known else limit)})
    return rows


def compare_accepted(cells: list[dict]) -> list[dict]:
    """Cells the paper has no number for, against our accepted result (table1.ACCEPTED)."""
    return [{**c, "accepted": ref.accuracy, "accepted_ci95": ref.ci95, "allowed": limit,
             "ok": c["accuracy"] >= limit}
            for c, ref, _, limit in _against(cells, table1.accepted_cell)]


def table(cells: list[dict], comparison: list[dict]) -> str:
    """Table 1 as markdown: ours next to the paper's per cell, † on documented deviations (their
    reasons below the table), then where each cell comes from."""
    deviations = {(r["experiment"], r["method"]): r["known"] for r in comparison if r["known"]}
    runs_dir = "results/fewshot/runs"
    tasks = ", ".join(str(n) for n in sorted({c["tasks"] for c in cells})) or "the"
    lines = ["Few-shot classification accuracy (%, paper Table 1 and appendix Table 3). Cell: ours "
             f"± 95% CI over {tasks} test tasks (paper, gap = ours − paper) and the "
             f"meta-iterations run (the paper ran 60k). Per-run files: `{runs_dir}/`."]
    for group, experiments in table1.COLUMNS.items():
        lines += ["", f"**{group}**", "",
                  "| method | " + " | ".join(table1.LABELS[e] for e in experiments) + " |",
                  "|---" * (len(experiments) + 1) + "|"]
        for method, label in METHODS.items():
            row = []
            for e in experiments:
                ours = next((c for c in cells if c["experiment"] == e and c["method"] == method), None)
                paper = table1.paper_cell(method, e)
                ptxt = f"{paper.accuracy:.1f} ± {paper.ci95:.1f}" if paper else "–"
                if ours:
                    gap = f", gap {ours['accuracy'] - paper.accuracy:+.1f}" if paper else ""
                    mark = " †" if (e, method) in deviations else ""
                    row.append(f"{ours['accuracy']:.1f} ± {ours['ci95']:.1f} (paper {ptxt}{gap})"
                               f"{mark} · {_k(ours['iterations'])} it")
                elif method not in table1.EVERY_SETTING and paper is None:
                    row.append("–")  # a baseline the paper ran on other settings only
                elif e.startswith("miniimagenet"):
                    row.append(f"needs images (paper {ptxt})")
                else:
                    row.append(f"not run (paper {ptxt})")
            if any(cell != "–" for cell in row):
                lines.append(f"| {label} | " + " | ".join(row) + " |")
    lines += ["", "\"needs images\": put the 60,000 MiniImageNet JPEGs in data/miniimagenet/images "
              "(see README), run `dvc repro miniimagenet_prepare`, then add the runs to "
              "`fewshot.runs` in params.yaml and `dvc repro`. \"not run\": the setting is defined "
              "in params.yaml but not in `fewshot.runs` (budget; results/speed/ has its cost). The "
              "baselines' paper numbers are Ravi & Larochelle's, as Table 1 quotes them."]
    for (e, m), reason in deviations.items():
        lines += ["", f"† {METHODS.get(m, m)}, {SETTINGS.get(e, e)}: {reason}"]
    return "\n".join(lines + ["", provenance(cells)] if cells else lines)


def _by_seed(trained_by: dict[str, list[str]]) -> str:
    if len(trained_by) == 1:
        return ", ".join(*trained_by.values())
    return "; ".join(f"seed {seed}: {', '.join(spans)}" for seed, spans in sorted(trained_by.items()))


def provenance(cells: list[dict]) -> str:
    """Where each cell's numbers come from: profile, seeds, budget, wall time, training commits."""
    lines = ["Where each cell comes from. Trained by: the commit of the code that trained each stretch "
             "of iterations (`-dirty`: with uncommitted edits) and, where recorded (since commit "
             "ac72878), on how many cores it ran: the wall time reads against them; \"not "
             "recorded\": trained before runs recorded it (commit 32b63b0); `git log -- "
             "checkpoints/fewshot/` shows when those stretches were committed.", "",
             "| setting | method | profile | seeds | training iterations | train wall time "
             "(h, per seed) | trained by (commit, iterations) |", "|---" * 7 + "|"]
    order = list(SETTINGS)
    rank = lambda c: (order.index(c["experiment"]) if c["experiment"] in SETTINGS else len(order),  # noqa: E731
                      list(METHODS).index(c["method"]) if c["method"] in METHODS else len(METHODS))
    for c in sorted(cells, key=rank):
        walls = ", ".join(f"{w / 3600:.1f}" for w in c["train_wall_time_s"])
        lines.append(f"| {SETTINGS.get(c['experiment'], c['experiment'])} "
                     f"| {METHODS.get(c['method'], c['method'])} | {', '.join(c['profiles'])} "
                     f"| {','.join(map(str, c['seeds']))} | {c['iterations']} | {walls} "
                     f"| {_by_seed(c['trained_by'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=pathlib.Path, required=True)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--params", type=pathlib.Path, default=pathlib.Path("params.yaml"))
    parser.add_argument("--readme", type=pathlib.Path, help="README whose table block to refresh")
    args = parser.parse_args(argv)

    s = settings.load(args.params)
    cells, steps, curves = load(args.runs)
    comparison = compare(cells)
    text = table(cells, comparison)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "table1.md").write_text(text + "\n")
    summary = {"schema": 1, "experiment": "fewshot", "profile": s.profile, "cells": cells,
               "paper_comparison": comparison, "accepted_comparison": compare_accepted(cells)}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    if cells:
        (args.out / "figures").mkdir(exist_ok=True)
        figures.accuracy_vs_steps(steps, args.out / "figures" / "accuracy_vs_steps.png")
        figures.accuracy_curves(curves, args.out / "figures" / "learning_curves.png")
    if args.readme:
        readme.refresh_block(args.readme, text, README_START, README_END)
    print(text)


if __name__ == "__main__":
    main()
