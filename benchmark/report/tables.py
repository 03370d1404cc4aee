"""Markdown tables: ours ± 95% CI next to the paper's value and the gap, with provenance."""
import dataclasses
import math

import pandas as pd

from benchmark.report import paper

SUMMARY_SCHEMA = 2  # of results/sinusoid/summary.json; 2: comparison rows judge known deviations


def _lookup(summary: pd.DataFrame, method: str, shots: int, steps: int):
    row = summary[(summary.method == method) & (summary.shots == shots) & (summary.steps == steps)]
    return None if row.empty else row.iloc[0]


def comparison_rows(summary: pd.DataFrame) -> list[dict]:
    """Every paper value with ours, the gap and the gate's verdict (used by table and gate).

    A method listed in `paper.COMPARED_AS` is compared with the paper row it names. `ok` is False
    for a non-finite mean; `known` holds the reason of a documented deviation (or None), and
    `known_holds` whether the cell still is that deviation (`paper.deviation_holds`)."""
    rows = []
    for method in summary.method.unique():
        as_method = paper.COMPARED_AS.get(method, method)
        for v in paper.SINUSOID:
            ours = _lookup(summary, method, v.shots, v.steps) if v.method == as_method else None
            if ours is None:
                continue
            v = dataclasses.replace(v, method=method)
            limit = paper.allowed(v, 0.0 if math.isnan(ours["ci95"]) else ours["ci95"])
            known = paper.KNOWN_DEVIATIONS.get((method, v.shots, v.steps))
            median, nonfinite = float(ours.get("median", math.nan)), int(ours.get("nonfinite", 0))
            tasks = int(ours["tasks"] * ours["seeds"])  # every seed's test tasks
            rows.append({
                "method": method, "shots": v.shots, "steps": v.steps, "paper": v.text(),
                "paper_value": v.value, "confidence": v.confidence, "source": v.source,
                "ours": ours["mean"], "ci95": ours["ci95"], "seed_sd": ours["seed_sd"],
                "median": median, "nonfinite": nonfinite, "gap": ours["mean"] - v.value,
                "allowed": limit, "ok": bool(math.isfinite(ours["mean"]) and ours["mean"] <= limit),
                "known": known, "median_allowed": paper.allowed(v, 0.0),
                "diverged_allowed": paper.diverged_allowed(tasks),
                "known_holds": None if known is None else paper.deviation_holds(
                    v, median, nonfinite, tasks),
            })
    return rows


def _num(x: float, digits: int = 2, sign: str = "") -> str:
    """Fixed point, or scientific once a diverged mean makes fixed point unreadable."""
    return f"{x:{sign}.{digits}e}" if abs(x) >= 1e4 else f"{x:{sign}.{digits}f}"


def _cell(r: dict) -> str:
    """Ours ± CI, the paper and the gap; a documented deviation (†) also shows its median task,
    which the gate judges it on."""
    mark = f" † median task {_num(r['median'])}" if r["known"] else ""
    if r["nonfinite"]:
        return f"diverged on {int(r['nonfinite'])} tasks (paper {r['paper']}){mark}"
    return (f"{_num(r['ours'])} ± {_num(r['ci95'])} (paper {r['paper']}, "
            f"gap {_num(r['gap'], sign='+')}){mark}")


def paper_table(summary: pd.DataFrame, shots: int, methods: list[str],
                confidence: str | None = None) -> str:
    """Rows: methods; columns: steps with a paper value at this K. Cell: ours ± CI (paper, gap).
    `confidence` keeps only the paper values of that grade ("A": exact table values)."""
    rows = [r for r in comparison_rows(summary)
            if r["shots"] == shots and confidence in (None, r["confidence"])]
    steps = sorted({r["steps"] for r in rows})
    head = "| method | " + " | ".join(f"{s} step{'s' if s != 1 else ''}" for s in steps) + " |"
    lines = [head, "|---" * (len(steps) + 1) + "|"]
    for m in [m for m in methods if any(r["method"] == m for r in rows)]:
        cells = []
        for s in steps:
            r = next((r for r in rows if r["method"] == m and r["steps"] == s), None)
            cells.append("" if r is None else _cell(r))
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    known = sorted({(r["method"], r["known"]) for r in rows if r["known"]})
    lines += [""] + [f"† {m}: {why}." for m, why in known] if known else []
    return "\n".join(lines)


def full_table(summary: pd.DataFrame, shots: int, steps: list[int], methods: list[str]) -> str:
    """Ours for every method: mean ± 95% CI over tasks [seed sd]."""
    head = "| method | " + " | ".join(f"{s} steps" for s in steps) + " |"
    lines = [head, "|---" * (len(steps) + 1) + "|"]
    for m in methods:
        cells = []
        for s in steps:
            r = _lookup(summary, m, shots, s)
            if r is None:
                cells.append("")
            elif r.get("nonfinite", 0):
                cells.append(f"diverged on {int(r['nonfinite'])} tasks (median {r['median']:.3f})")
            else:
                cells.append(f"{_num(r['mean'], 3)} ± {_num(r['ci95'], 3)} "
                             f"[{_num(r['seed_sd'], 3)}]")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def provenance(runs: dict, methods: list[str]) -> str:
    """Profile, seeds, iterations, wall time and commit for each method's runs."""
    lines = ["| method | profile | seeds | training iterations | train wall time (s, per seed) "
             "| commit |", "|---|---|---|---|---|---|"]
    for m in methods:
        mine = [r for (name, _), r in sorted(runs.items()) if name == m]
        if not mine:
            continue
        seeds = ",".join(str(r["seed"]) for r in mine)
        iters = sorted({r["train"]["iterations"] for r in mine})
        walls = ", ".join(f"{r['train']['wall_time_s']:.0f}" for r in mine)
        commits = ", ".join(sorted({r["train"]["commit"] for r in mine}))
        profiles = ", ".join(sorted({r["profile"] for r in mine}))
        lines.append(f"| {m} | {profiles} | {seeds} | {', '.join(map(str, iters))} | {walls} "
                     f"| {commits} |")
    return "\n".join(lines)
