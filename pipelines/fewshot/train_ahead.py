"""Train a few-shot run ahead of the pipeline, outside DVC, so that it can outlive a session.

    python -m pipelines.fewshot.train_ahead omniglot_20w1s-maml-0 --iterations 60000

The run is named `<experiment>-<method>-<seed>` as under `fewshot.runs`; it need not be there
yet. Its checkpoints go to checkpoints/fewshot-continuing/ (commit them: the next session, on
any machine, continues from the last one), and the stages of the committed runs stay as they
are. A run the pipeline already trained starts from its committed checkpoint (in
checkpoints/fewshot/), copied there, unless the one ahead is further on: it trains on, not anew.
`--iterations` carries it past the profile's budget (never past the paper's);
`--checkpoint-every` (e.g. 500 where 1,000 iterations take hours) makes a session's end lose
less, and adds validation points to its curve. When it has
reached its budget (or whenever it is to be reported at the iterations it has), stop it and

    python -m pipelines.fewshot.train_ahead omniglot_20w1s-maml-0 --join

moves its checkpoint to checkpoints/fewshot/, adds the run to params.yaml's `fewshot.runs` and
its iterations to the profile's `run_iterations` (a text edit that keeps the file's comments);
commit that, and `dvc repro fewshot_report` resumes it at that budget, evaluates and reports it.
The join takes the latest checkpoint, never the best on validation, and refuses one whose
validation accuracy has dipped well below the run's best (a loss spike that training recovers
from): train on and join later, or pass `--accept-dip` to report it as it is.

It writes the params.yaml that the run needs (the run added, its budget set) to a scratch file
and trains with `pipelines.fewshot.train`, so the run is the one the pipeline would train.
"""
import argparse
import json
import os
import pathlib
import shutil
import tempfile

import numpy as np
import yaml

from benchmark.config import ConfigError
from pipelines import params_text
from pipelines.fewshot import settings, train

CHECKPOINT_FILES = (".npz", ".validation.json")  # a run's weights and its validation scores
DIP = 0.02  # a join is refused at a validation accuracy this far below the run's best (--accept-dip)


def params_for(params: pathlib.Path, run: str, iterations: int | None,
               checkpoint_every: int | None = None) -> dict:
    """params.yaml's content with `run` under fewshot.runs and, if given, its budget and how
    often it checkpoints (and so scores its validation tasks)."""
    raw = yaml.safe_load(params.read_text())
    experiment, method, seed = _parse(run)
    few = raw["fewshot"]
    if experiment not in few["experiments"] or method not in few["methods"]:
        raise ConfigError(f"run {run!r}: experiment {experiment!r} or method {method!r} is not "
                          f"defined (fewshot.experiments: {sorted(few['experiments'])}; "
                          f"fewshot.methods: {sorted(few['methods'])})")
    few["runs"].setdefault(run, {"experiment": experiment, "method": method, "seed": seed,
                                 "data": few["experiments"][experiment]["dataset"]})
    profile = raw["fewshot_profiles"][raw["fewshot_profile"]]
    if iterations is not None:
        if iterations < 1:
            raise ConfigError(f"--iterations must be at least 1, got {iterations}")
        profile["run_iterations"] = {**(profile.get("run_iterations") or {}), run: iterations}
    if checkpoint_every is not None:
        # Not in the checkpoint's name or fingerprint: a run checkpointed more often trains the
        # same weights (tests/test_fewshot_resume.py) and only adds points to its curve.
        if checkpoint_every < 1 or checkpoint_every % profile["chunk_iterations"]:
            raise ConfigError(f"--checkpoint-every must be a positive multiple of the profile's "
                              f"chunk_iterations ({profile['chunk_iterations']}), got "
                              f"{checkpoint_every}")
        profile["checkpoint_every"] = checkpoint_every
    return raw


def join(params: pathlib.Path, run: str, ahead: pathlib.Path, committed: pathlib.Path,
         accept_dip: bool = False) -> str:
    """Move run's checkpoint from `ahead` to `committed` and write into `params` what the
    pipeline needs to report it at the iterations it has. Returns what was done."""
    from pipelines.fewshot import build  # TensorFlow: only once the arguments are known good

    raw = params_for(params, run, None)
    s = _loaded(raw)
    spec, e, _ = settings.run(s, run)
    name = build.checkpoint_name(s, run)
    source = ahead / f"{name}.npz"
    if not source.exists():
        raise ConfigError(f"no checkpoint of {run} under the current settings at {source} "
                          f"(train it first: python -m pipelines.fewshot.train_ahead {run})")
    iterations = _iteration(source)
    target = committed / f"{name}.npz"
    done = _iteration(target) if target.exists() else 0
    if done > iterations:
        raise ConfigError(f"{target} is further on ({done} iterations) than {source} "
                          f"({iterations}): nothing to join")
    if iterations > e.iterations:
        raise ConfigError(f"{source} has {iterations} iterations, past the paper's budget for "
                          f"{spec.experiment} ({e.iterations})")
    scores = _validation(source)
    standing = ""
    if iterations in scores:
        best = max(scores, key=scores.get)
        standing = (f" (validation accuracy {scores[iterations]:.1%}; its best, "
                    f"{scores[best]:.1%}, at {best})")
        if scores[iterations] < scores[best] - DIP and not accept_dip:
            raise ConfigError(
                f"{run}'s validation accuracy at {iterations} iterations is "
                f"{scores[iterations]:.1%}, {100 * (scores[best] - scores[iterations]):.1f} points "
                f"below its best ({scores[best]:.1%} at {best}): a dip, most likely a loss spike, "
                f"which training recovers from. Train on (python -m pipelines.fewshot.train_ahead "
                f"{run} --iterations {e.iterations}) and join a later checkpoint, or pass "
                f"--accept-dip to report this one as it is")

    text = params.read_text()
    if run not in yaml.safe_load(text)["fewshot"]["runs"]:
        entry = (f"{{experiment: {spec.experiment}, method: {spec.method}, seed: {spec.seed}, "
                 f"data: {spec.data}}}")
        text = params_text.set_key(text, ("fewshot", "runs"), run, entry)
    if s.iterations(run) != iterations:
        text = params_text.set_key(text, ("fewshot_profiles", s.profile, "run_iterations"), run,
                                   str(iterations))
    # The edit must read back as exactly the settings meant; else params.yaml stays as it was.
    meant = params_for(params, run, None if s.iterations(run) == iterations else iterations)
    if yaml.safe_load(text) != meant or _loaded(meant).iterations(run) != iterations:
        raise ConfigError(f"could not add {run} to {params} by a text edit (its layout is not "
                          f"the one expected): add it under fewshot.runs, with {iterations} "
                          f"under fewshot_profiles.{s.profile}.run_iterations, by hand")
    params.write_text(text)
    committed.mkdir(parents=True, exist_ok=True)
    for suffix in CHECKPOINT_FILES:
        if (ahead / f"{name}{suffix}").exists():
            os.replace(ahead / f"{name}{suffix}", committed / f"{name}{suffix}")
    return (f"{run} joined at {iterations} iterations{standing}: its checkpoint is in "
            f"{committed}/ and {params} has the run and its budget. Commit both, then: "
            f"dvc repro fewshot_report")


def start_from_committed(s: settings.Settings, run: str, ahead: pathlib.Path,
                         committed: pathlib.Path) -> str | None:
    """Copy run's committed checkpoint (and its validation scores) to `ahead` when it is further
    on than the one there, so that training goes on from the pipeline's iterations instead of
    from scratch. Returns what was done, or None when `ahead` already has the furthest."""
    from pipelines.fewshot import build

    name = build.checkpoint_name(s, run)
    source, target = committed / f"{name}.npz", ahead / f"{name}.npz"
    if not source.exists():
        return None
    done = _iteration(source)
    if target.exists() and _iteration(target) >= done:
        return None
    ahead.mkdir(parents=True, exist_ok=True)
    for suffix in CHECKPOINT_FILES:
        if (committed / f"{name}{suffix}").exists():
            shutil.copyfile(committed / f"{name}{suffix}", ahead / f"{name}{suffix}")
    return f"starting from the committed checkpoint {source} ({done} iterations)"


def _validation(checkpoint: pathlib.Path) -> dict[int, float]:
    """Validation accuracy by iteration, from the scores saved beside a checkpoint."""
    path = checkpoint.with_suffix(".validation.json")
    points = json.loads(path.read_text()) if path.exists() else []
    return {p["step"]: p["val_accuracy"] for p in points if "val_accuracy" in p}


def _iteration(checkpoint: pathlib.Path) -> int:
    """The meta-iterations a checkpoint file holds."""
    return int(np.load(checkpoint)["iteration"])


def _loaded(raw: dict) -> settings.Settings:
    """Settings from a params dict, with every check of the pipeline's loader."""
    with tempfile.TemporaryDirectory(prefix="mamlbench-params-") as scratch:
        path = pathlib.Path(scratch) / "params.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        return settings.load(path)


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
    parser.add_argument("--join", action="store_true",
                        help="do not train: move the checkpoint to --committed and add the run, "
                             "at the iterations it has, to params.yaml")
    parser.add_argument("--accept-dip", action="store_true",
                        help="with --join: join even a checkpoint whose validation accuracy is "
                             f"more than {100 * DIP:.0f} points below the run's best")
    parser.add_argument("--committed", type=pathlib.Path,
                        default=pathlib.Path("checkpoints/fewshot"),
                        help="the pipeline's checkpoint folder: a run trains on from its "
                             "checkpoint there; --join moves it there")
    parser.add_argument("--out", type=pathlib.Path, default=None,
                        help="model, curve and train.json (default: a scratch folder)")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads (default: 1). The loop formulation runs this many "
                             "ops at once, each on one thread, so train.json still records "
                             "threads: 1 (benchmark/runtime.py)")
    parser.add_argument("--checkpoint-every", type=int, default=None,
                        help="iterations between checkpoints (and validation scores); default: "
                             "the profile's. Lower it on a slow machine, so that a session's end "
                             "loses less")
    args = parser.parse_args(argv)
    if not args.params.exists():
        raise ConfigError(f"{args.params} not found: run from the repository root, or pass --params")
    if args.accept_dip and not args.join:
        raise ConfigError("--accept-dip goes with --join only")
    if args.join:
        if args.iterations is not None or args.checkpoint_every is not None:
            raise ConfigError("--join takes the iterations from the checkpoint: drop "
                              "--iterations and --checkpoint-every")
        print(join(args.params, args.run, args.checkpoints, args.committed, args.accept_dip),
              flush=True)
        return

    scratch = pathlib.Path(tempfile.mkdtemp(prefix=f"mamlbench-{args.run}-"))
    params = scratch / "params.yaml"
    params.write_text(yaml.safe_dump(
        params_for(args.params, args.run, args.iterations, args.checkpoint_every), sort_keys=False))
    s = settings.load(params)  # every check of the pipeline's own loader, before training
    print(f"{args.run}: {s.iterations(args.run)} iterations ({s.profile} profile), checkpoints "
          f"in {args.checkpoints}/, params in {params}", flush=True)
    started = start_from_committed(s, args.run, args.checkpoints, args.committed)
    if started:
        print(started, flush=True)

    train.main([args.run, "--params", str(params), "--checkpoints", str(args.checkpoints),
                "--out", str(args.out or scratch / "out"),
                *([] if args.threads is None else ["--threads", str(args.threads)])])


if __name__ == "__main__":
    main()
