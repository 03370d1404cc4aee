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


def git_commit() -> str:
    """The code version a result came from; '-dirty' when the work tree had uncommitted edits."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
