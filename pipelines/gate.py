"""Regression gate: committed sinusoid and few-shot metrics vs the paper, per-cell tolerances
(few-shot cells the paper has no number for: vs our own accepted result).

Exits 1 when any cell is worse than allowed or not finite (tolerances and their reasons:
benchmark/report/paper.py for the sinusoid, benchmark/report/table1.py for Table 1), or when
the sinusoid results are not a full-budget run with at least `--min-seeds` seeds, or the few-shot
ones come from the smoke profile. Documented deviations (paper.KNOWN_DEVIATIONS) are printed with
their reason and judged on it: they fail when the median task leaves the tolerance or more than
1% of the tasks diverge (paper.deviation_holds); a few-shot one (table1.KNOWN_DEVIATIONS) fails
below the floor its reason accounts for.
Usage: `python -m pipelines.gate` (CI runs it on the committed results/).
"""
import argparse
import json
import pathlib
import sys

from benchmark.report import tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--summary", type=pathlib.Path,
                        default=pathlib.Path("results/sinusoid/summary.json"))
    parser.add_argument("--profile", default="full", help="the profile the results must come from")
    parser.add_argument("--min-seeds", type=int, default=3)
    parser.add_argument("--fewshot-summary", type=pathlib.Path,
                        default=pathlib.Path("results/fewshot/summary.json"))
    parser.add_argument("--only", choices=("sinusoid", "fewshot"), help="check one experiment")
    args = parser.parse_args(argv)
    failed = False
    if args.only != "fewshot":
        failed |= sinusoid(args) != 0
    if args.only != "sinusoid":
        failed |= fewshot(args.fewshot_summary) != 0
    return 1 if failed else 0


def fewshot(path: pathlib.Path) -> int:
    """Table 1 cells against the paper, and the cells the paper has no number for against our
    accepted result (tolerances: benchmark/report/table1.py); every committed run must come from
    a real budget (not the smoke profile) and have a cell to pass."""
    if not path.exists():
        print(f"gate: {path} not found; run `dvc repro fewshot_report`", file=sys.stderr)
        return 1
    s = json.loads(path.read_text())
    problems = []
    if s["profile"] == "smoke":
        problems.append("few-shot results come from the smoke profile")
    print(f"{'experiment':20} {'method':15} {'iterations':>10} {'against':>8} {'ref %':>6} "
          f"{'ours %':>7} {'±CI':>5} {'allowed':>8}  verdict")
    accepted = s.get("accepted_comparison", [])  # summaries before ACCEPTED existed have none
    rows = [("paper", r) for r in s["paper_comparison"]] + [("accepted", r) for r in accepted]
    for against, r in rows:
        known = r.get("known")  # summaries written before deviations were recorded have none
        allowed = r["known_floor"] if known else r["allowed"]
        reference = r[against]
        verdict = "REGRESSION" if not r["ok"] else "known deviation" if known else "ok"
        print(f"{r['experiment']:20} {r['method']:15} {r['iterations']:>10} {against:>8} "
              f"{reference:>6.2f} {r['accuracy']:>7.2f} {r['ci95']:>5.2f} {allowed:>8.2f}  {verdict}")
        if not r["ok"]:
            what = "its documented deviation's floor" if known else "allowed"
            problems.append(f"{r['method']} {r['experiment']}: {r['accuracy']:.2f}% < {what} "
                            f"{allowed:.2f}% ({against} {reference}%)")
    for r in s["paper_comparison"]:
        if r.get("known") and r["ok"]:
            print(f"  known deviation, {r['method']} {r['experiment']} (paper tolerance "
                  f"{r['allowed']:.2f}%, floor {r['known_floor']:.2f}%): {r['known']}")
    if accepted:
        print("  against accepted: the paper has no number for the cell; it is held at our own "
              "accepted result (benchmark/report/table1.py ACCEPTED)")
    gated = {(r["method"], r["experiment"]) for _, r in rows}
    for c in s["cells"]:
        if (c["method"], c["experiment"]) not in gated:
            print(f"  not gated: {c['method']} {c['experiment']} ({c['accuracy']:.2f}%) has no paper "
                  "number and no accepted result; accept it in benchmark/report/table1.py ACCEPTED")
    return _verdict("few-shot", problems, len(rows))


def sinusoid(args) -> int:
    """Sinusoid cells against the paper (tolerances: benchmark/report/paper.py)."""
    if not args.summary.exists():
        print(f"gate: {args.summary} not found; run `dvc repro` to produce it", file=sys.stderr)
        return 1
    s = json.loads(args.summary.read_text())
    if s.get("schema") != tables.SUMMARY_SCHEMA:
        print(f"gate: {args.summary} was written by an older report (schema {s.get('schema')}, "
              f"not {tables.SUMMARY_SCHEMA}); run `dvc repro report`", file=sys.stderr)
        return 1
    problems = []
    if s["profiles"] != [args.profile]:
        problems.append(f"results come from profile(s) {s['profiles']}, not {args.profile!r}")
    if len(s["seeds"]) < args.min_seeds:
        problems.append(f"{len(s['seeds'])} seed(s), fewer than {args.min_seeds}")
    print(f"{'method':18} {'K':>3} {'steps':>5} {'paper':>12} {'ours':>10} {'±CI':>6} "
          f"{'allowed':>8}  verdict")
    for r in s["paper_comparison"]:
        if r["known"]:
            verdict = "known deviation" if r["known_holds"] else "DEVIATION CHANGED"
        else:
            verdict = "ok" if r["ok"] else "REGRESSION"
        ours = r["ours"] if r["ours"] is not None else float("nan")  # JSON null: NaN mean
        ci = r["ci95"] if r["ci95"] is not None else float("nan")
        print(f"{r['method']:18} {r['shots']:>3} {r['steps']:>5} {r['paper']:>12} "
              f"{ours:>10.4g} {ci:>6.3f} {r['allowed']:>8.3f}  {verdict}")
        if r["known"]:
            if not r["known_holds"]:
                problems.append(f"{r['method']} K={r['shots']} after {r['steps']} steps: no "
                                f"longer the documented deviation (median task {r['median']:.3f}, "
                                f"allowed {r['median_allowed']:.3f}; {r['nonfinite']} tasks "
                                f"diverged, allowed {r['diverged_allowed']})")
        elif r["nonfinite"]:
            problems.append(f"{r['method']} K={r['shots']} after {r['steps']} steps: fine-tuning "
                            f"diverged (non-finite) on {r['nonfinite']} test tasks")
        elif not r["ok"]:
            problems.append(f"{r['method']} K={r['shots']} after {r['steps']} steps: "
                            f"{ours:.3f} > allowed {r['allowed']:.3f} (paper {r['paper']})")
    for r in s["paper_comparison"]:
        if r["known"] and r["known_holds"]:
            print(f"  known deviation, {r['method']} K={r['shots']} step {r['steps']} (median task "
                  f"{r['median']:.3f}, {r['nonfinite']} tasks diverged): {r['known']}")
    return _verdict("sinusoid", problems, len(s["paper_comparison"]))


def _verdict(experiment: str, problems: list[str], cells: int) -> int:
    """Print the problems and the summary line; 1 when anything failed or nothing was checked."""
    if not cells:
        problems.append(f"no {experiment} cell to compare with the paper")
    for p in problems:
        print(f"gate: {p}", file=sys.stderr)
    print(f"gate: {experiment} {'FAILED' if problems else 'passed'} ({cells} cells checked)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
