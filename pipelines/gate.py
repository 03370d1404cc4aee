"""Regression gate: committed sinusoid metrics vs the paper, with per-cell tolerances.

Exits 1 when any cell is worse than allowed (tolerances and their reasons: benchmark/report/
paper.py) or not finite, or when the results are not a full-budget run with at least `--min-seeds` seeds.
Documented deviations (paper.KNOWN_DEVIATIONS) are printed with their reason and do not fail
unless they stop being finite. Usage: `python -m pipelines.gate` (CI runs it on the committed results/).
"""
import argparse
import json
import pathlib
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--summary", type=pathlib.Path,
                        default=pathlib.Path("results/sinusoid/summary.json"))
    parser.add_argument("--profile", default="full", help="the profile the results must come from")
    parser.add_argument("--min-seeds", type=int, default=3)
    args = parser.parse_args(argv)

    if not args.summary.exists():
        print(f"gate: {args.summary} not found; run `dvc repro` to produce it", file=sys.stderr)
        return 1
    s = json.loads(args.summary.read_text())
    problems = []
    if s["profiles"] != [args.profile]:
        problems.append(f"results come from profile(s) {s['profiles']}, not {args.profile!r}")
    if len(s["seeds"]) < args.min_seeds:
        problems.append(f"{len(s['seeds'])} seed(s), fewer than {args.min_seeds}")
    print(f"{'method':18} {'K':>3} {'steps':>5} {'paper':>12} {'ours':>10} {'±CI':>6} "
          f"{'allowed':>8}  verdict")
    for r in s["paper_comparison"]:
        verdict = "ok" if r["ok"] else ("known deviation" if r["known"] else "REGRESSION")
        ours = r["ours"] if r["ours"] is not None else float("nan")  # JSON null: NaN mean
        ci = r["ci95"] if r["ci95"] is not None else float("nan")
        print(f"{r['method']:18} {r['shots']:>3} {r['steps']:>5} {r['paper']:>12} "
              f"{ours:>10.4g} {ci:>6.3f} {r['allowed']:>8.3f}  {verdict}")
        if r["nonfinite"]:
            problems.append(f"{r['method']} K={r['shots']} after {r['steps']} steps: fine-tuning "
                            f"diverged (non-finite) on {r['nonfinite']} test tasks")
        elif not r["ok"] and not r["known"]:
            problems.append(f"{r['method']} K={r['shots']} after {r['steps']} steps: "
                            f"{ours:.3f} > allowed {r['allowed']:.3f} (paper {r['paper']})")
    for r in s["paper_comparison"]:
        if r["known"] and not r["nonfinite"]:
            print(f"  known deviation, {r['method']} K={r['shots']} step {r['steps']}: {r['known']}")
    if not s["paper_comparison"]:
        problems.append("no cell to compare with the paper")
    for p in problems:
        print(f"gate: {p}", file=sys.stderr)
    print(f"gate: {'FAILED' if problems else 'passed'} "
          f"({len(s['paper_comparison'])} cells checked)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
