"""Markdown tables: ours ± 95% CI next to the paper's value and the gap, with provenance."""
import pandas as pd

from benchmark.report import paper


def _lookup(summary: pd.DataFrame, method: str, shots: int, steps: int):
    row = summary[(summary.method == method) & (summary.shots == shots) & (summary.steps == steps)]
    return None if row.empty else row.iloc[0]


def comparison_rows(summary: pd.DataFrame) -> list[dict]:
    """Every paper value with ours, the gap and the gate's verdict (used by table and gate)."""
    rows = []
    for v in paper.SINUSOID:
        ours = _lookup(summary, v.method, v.shots, v.steps)
        if ours is None:
            continue
        limit = paper.allowed(v, ours["ci95"])
        rows.append({
            "method": v.method, "shots": v.shots, "steps": v.steps, "paper": v.text(),
            "paper_value": v.value, "confidence": v.confidence, "source": v.source,
            "ours": ours["mean"], "ci95": ours["ci95"], "seed_sd": ours["seed_sd"],
            "gap": ours["mean"] - v.value, "allowed": limit, "ok": bool(ours["mean"] <= limit),
        })
    return rows


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
            cells.append("" if r is None else
                         f"{r['ours']:.2f} ± {r['ci95']:.2f} (paper {r['paper']}, "
                         f"gap {r['gap']:+.2f})")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def full_table(summary: pd.DataFrame, shots: int, steps: list[int], methods: list[str]) -> str:
    """Ours for every method: mean ± 95% CI over tasks [seed sd]."""
    head = "| method | " + " | ".join(f"{s} steps" for s in steps) + " |"
    lines = [head, "|---" * (len(steps) + 1) + "|"]
    for m in methods:
        cells = []
        for s in steps:
            r = _lookup(summary, m, shots, s)
            cells.append("" if r is None else
                         f"{r['mean']:.3f} ± {r['ci95']:.3f} [{r['seed_sd']:.3f}]")
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
