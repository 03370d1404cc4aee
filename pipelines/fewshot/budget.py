"""DVC stage `fewshot_budget@<run>`: the run's budget, resolved from the profile, as JSON.

The profile's caps (`max_iterations`, `experiment_iterations`, `run_iterations`) and its
evaluation sizes are one block of params.yaml; were it a parameter of every few-shot stage, a
budget given to one run would re-train and re-evaluate every other. Each run's stages depend on
this file instead, which changes only when that run's own budget does. Imports no TensorFlow.
"""
import argparse
import json
import pathlib

from pipelines.fewshot import settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run", help="a key under fewshot.runs in params.yaml")
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--params", type=pathlib.Path, default=pathlib.Path("params.yaml"))
    args = parser.parse_args(argv)
    s = settings.load(args.params)
    settings.run(s, args.run)  # an unknown run name fails here, with the names there are
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(s.run_budget(args.run), indent=1) + "\n")


if __name__ == "__main__":
    main()
