"""File formats shared by the stages: weights as .npz, JSON with a trailing newline, provenance."""
import json
import pathlib
import subprocess

import numpy as np
import tensorflow as tf

from benchmark.training import load_npz, save_npz


def save_params(params: dict, path: pathlib.Path) -> None:
    save_npz(path, {k: np.asarray(v) for k, v in params.items()})


def load_params(path: pathlib.Path) -> dict:
    if not path.exists():
        raise FileNotFoundError(
            f"no trained model at {path}. Train it first: `dvc repro` (or the matching "
            f"`train@...` stage); a fresh clone needs the committed results/ or a new run."
        )
    return {k: tf.constant(v) for k, v in load_npz(path).items()}


def write_json(path: pathlib.Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")


def read_json(path: pathlib.Path):
    return json.loads(path.read_text())


# What the pipeline itself writes: edits there say nothing about the code that made a result.
GENERATED = ("results", "checkpoints", "dvc.lock", "README.md")


def git_commit() -> str:
    """The code version a result came from; '-dirty' when files other than the pipeline's own
    outputs (GENERATED) had uncommitted edits."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
             *(f":(exclude){g}" for g in GENERATED)],
            capture_output=True, text=True, check=True).stdout.strip()
        return f"{head}-dirty" if changed else head
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
