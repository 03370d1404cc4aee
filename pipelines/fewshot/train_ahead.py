"""Train a few-shot run ahead of the pipeline, outside DVC, so that it can outlive a session.

    python -m pipelines.fewshot.train_ahead omniglot_20w1s-maml-0 --iterations 60000

The run is named `<experiment>-<method>-<seed>` as under `fewshot.runs`; it need not be there
yet. Its checkpoints go to checkpoints/fewshot-continuing/ (commit them: the next session, on
any machine, continues from the last one), and the stages of the committed runs stay as they
are. `--iterations` carries it past the profile's budget (never past the paper's). When it has
reached its budget, it joins the pipeline: move its checkpoint to checkpoints/fewshot/, add the
run to `fewshot.runs` (and the budget to the profile's `run_iterations`), and `dvc repro
fewshot_report` resumes it at that budget, evaluates it and reports it.

It writes the params.yaml that the run needs (the run added, its budget set) to a scratch file
and trains with `pipelines.fewshot.train`, so the run is the one the pipeline would train.
"""
import argparse
import pathlib
import tempfile

import yaml

from benchmark.config import ConfigError
from pipelines.fewshot import settings, train


def params_for(params: pathlib.Path, run: str, iterations: int | None) -> dict:
    """params.yaml's content with `run` under fewshot.runs and, if given, its budget."""
    raw = yaml.safe_load(params.read_text())
    experiment, method, seed = _parse(run)
    few = raw["fewshot"]
    if experiment not in few["experiments"] or method not in few["methods"]:
        raise ConfigError(f"run {run!r}: experiment {experiment!r} or method {method!r} is not "
                          f"defined (fewshot.experiments: {sorted(few['experiments'])}; "
                          f"fewshot.methods: {sorted(few['methods'])})")
    few["runs"].setdefault(run, {"experiment": experiment, "method": method, "seed": seed,
                                 "data": few["experiments"][experiment]["dataset"]})
    if iterations is not None:
        if iterations < 1:
            raise ConfigError(f"--iterations must be at least 1, got {iterations}")
        profile = raw["fewshot_profiles"][raw["fewshot_profile"]]
        profile["run_iterations"] = {**(profile.get("run_iterations") or {}), run: iterations}
    return raw


def _parse(run: str) -> tuple[str, str, int]:
    parts = run.rsplit("-", 2)
    if len(parts) != 3 or not parts[2].isdigit():
        raise ConfigError(f"run {run!r} is not named <experiment>-<method>-<seed>, as the runs "
                          "under fewshot.runs are (e.g. omniglot_20w1s-maml-0)")
    return parts[0], parts[1], int(parts[2])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="<experiment>-<method>-<seed>, e.g. omniglot_20w1s-maml-0")
    parser.add_argument("--iterations", type=int, default=None,
                        help="the budget (default: the profile's for this run)")
    parser.add_argument("--params", type=pathlib.Path, default=pathlib.Path("params.yaml"))
    parser.add_argument("--checkpoints", type=pathlib.Path,
                        default=pathlib.Path("checkpoints/fewshot-continuing"))
    parser.add_argument("--out", type=pathlib.Path, default=None,
                        help="model, curve and train.json (default: a scratch folder)")
    parser.add_argument("--threads", type=int, default=None, help="TF threads (default: 1)")
    args = parser.parse_args(argv)
    if not args.params.exists():
        raise ConfigError(f"{args.params} not found: run from the repository root, or pass --params")

    scratch = pathlib.Path(tempfile.mkdtemp(prefix=f"mamlbench-{args.run}-"))
    params = scratch / "params.yaml"
    params.write_text(yaml.safe_dump(params_for(args.params, args.run, args.iterations),
                                     sort_keys=False))
    s = settings.load(params)  # every check of the pipeline's own loader, before training
    print(f"{args.run}: {s.iterations(args.run)} iterations ({s.profile} profile), checkpoints "
          f"in {args.checkpoints}/, params in {params}", flush=True)

    train.main([args.run, "--params", str(params), "--checkpoints", str(args.checkpoints),
                "--out", str(args.out or scratch / "out"),
                *([] if args.threads is None else ["--threads", str(args.threads)])])


if __name__ == "__main__":
    main()
