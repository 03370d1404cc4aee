"""DVC stage `speed_report`: our fastest meta-iteration per paper config vs targets, public
implementations and the FLOP floor (results/speed/speed.md, and README.md between its markers).
Imports no TensorFlow."""
import argparse
import json
import pathlib

from benchmark.report import readme, speed_table

README_START, README_END = "<!-- speed-table:start -->", "<!-- speed-table:end -->"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results", nargs="+", type=pathlib.Path, help="benchmark.speed JSON files")
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--readme", type=pathlib.Path)
    args = parser.parse_args(argv)

    runs = [json.loads(p.read_text()) for p in args.results]
    missing = [str(p) for p, r in zip(args.results, runs, strict=True)
               if "matmul_gflop_per_s_all_cores" not in r["machine"]]
    if missing:
        raise SystemExit(f"{', '.join(missing)}: written before the all-core matmul peak was "
                         "measured; run `dvc repro speed speed_fewshot` again")
    results = [row for r in runs for row in r["results"]]
    machines = [r["machine"] for r in runs]  # the highest peak seen: the strictest floor
    table = speed_table.markdown(
        results,
        peak=max(m["matmul_gflop_per_s_all_cores"] for m in machines),
        peak_one_thread=max(m["matmul_gflop_per_s_per_thread"] for m in machines),
        cores=min(m["cpus"] for m in machines))
    table += machines_note(args.results, machines) + cpu_note(machines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    costs = speed_table.cost_markdown(results)
    threads = speed_table.threads_markdown(results)
    if threads:
        threads = ("\n\n## One run alone on the machine\n\nTraining gives each run one thread, "
                   "so two runs share the two cores. A run alone is faster on both "
                   f"(`MAMLBENCH_THREADS=2`):\n\n{threads}")
    args.out.write_text(f"# Speed\n\n{table}\n\n## Cost of each experiment\n\n{costs}{threads}\n")
    if args.readme:
        readme.refresh_block(args.readme, table, README_START, README_END)
    print(table)


# Timing noise on one machine is 10-20% (benchmark.speed); a wider gap in the matmul peak means
# another machine, whose rows cannot be set side by side with this one's.
SAME_MACHINE = 1.2


def cpu_note(machines: list[dict]) -> str:
    """Which CPU the rows ran on, as the result files record it ("" for files from before
    `benchmark.speed` recorded it)."""
    models = sorted({m["cpu_model"] for m in machines if m.get("cpu_model")})
    if not models:
        return ""
    return f"\n\nMeasured on: {' and '.join(models)} ({min(m['cpus'] for m in machines)} cores)."


def machines_note(paths: list[pathlib.Path], machines: list[dict]) -> str:
    """A warning when the result files were measured on machines of different speed ("" if not)."""
    peaks = {str(p): m["matmul_gflop_per_s_all_cores"] for p, m in zip(paths, machines, strict=True)}
    if max(peaks.values()) <= SAME_MACHINE * min(peaks.values()):
        return ""
    listed = ", ".join(f"{p} at {peak:.0f} GFLOP/s" for p, peak in peaks.items())
    return (f"\n\n**These rows come from machines of different speed** (matmul peak: {listed}). "
            "Re-run their stages on one machine (`dvc repro -f -s speed speed_fewshot`) before "
            "comparing rows across experiments.")


if __name__ == "__main__":
    main()
