"""A few-shot run stopped part-way continues from its checkpoint to the same weights, bit for bit,
as a run that never stopped (the tasks of iteration i depend only on (seed, i))."""
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from benchmark.datasets import omniglot, save_images
from pipelines.fewshot import build, train

ROOT = pathlib.Path(__file__).resolve().parents[1]
MIRROR = ROOT.parent / "shared" / "data" / "omniglot"


def _params(tmp_path, iterations: int):
    text = pathlib.Path("params.yaml").read_text()
    text = re.sub(r"(?m)^fewshot_profile: \S+", "fewshot_profile: smoke", text)
    text = re.sub(r"(?m)^(  smoke:.*\n    max_iterations:) \d+", rf"\1 {iterations}", text)
    path = tmp_path / f"params{iterations}.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def omniglot_arrays(tmp_path, monkeypatch):
    """The prepared arrays: the pipeline's if present, else made from the mirror here."""
    if not build.OMNIGLOT_ARRAYS.exists():
        if not MIRROR.exists():
            pytest.skip("neither data/omniglot/arrays nor ../shared/data/omniglot is present")
        names, images = omniglot.read_characters([MIRROR / a for a in omniglot.ARCHIVES])
        save_images(tmp_path / "omniglot28.npz", images, names)
        monkeypatch.setattr(build, "OMNIGLOT_ARRAYS", tmp_path / "omniglot28.npz")


@pytest.mark.slow
def test_a_stopped_run_continues_to_the_same_weights(tmp_path, omniglot_arrays):
    run = "omniglot_5w1s-maml-0"
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    train.main([run, "--out", str(whole / "out"), "--params", str(_params(tmp_path, 4)),
                "--checkpoints", str(whole / "ckpt")])
    # "Killed" after 2 iterations: the next run with the full budget picks up the checkpoint.
    train.main([run, "--out", str(parts / "out"), "--params", str(_params(tmp_path, 2)),
                "--checkpoints", str(parts / "ckpt")])
    train.main([run, "--out", str(parts / "out"), "--params", str(_params(tmp_path, 4)),
                "--checkpoints", str(parts / "ckpt")])
    a, b = np.load(whole / "out" / "model.npz"), np.load(parts / "out" / "model.npz")
    assert sorted(a.files) == sorted(b.files)
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert (whole / "out" / "curve.json").read_text() == (parts / "out" / "curve.json").read_text()


@pytest.mark.slow
def test_a_run_continued_in_a_new_process_repeats_an_unbroken_one(tmp_path, omniglot_arrays):
    """What a killed run really does: each part is its own process, as `dvc repro` starts them.
    (Grappler's memory optimizer once made the same meta-iteration differ between processes:
    on 5-way 5-shot's graph, not on 5-way 1-shot's, which it left alone.)"""
    run = "omniglot_5w5s-maml-0"
    work = tmp_path / "work"  # data/ as the stage sees it, whichever arrays the fixture found
    (work / build.DATA / "omniglot" / "arrays").mkdir(parents=True)
    (work / build.DATA / "omniglot" / "arrays" / "omniglot28.npz").symlink_to(
        build.OMNIGLOT_ARRAYS.resolve())
    (work / "results" / "fewshot").mkdir(parents=True)
    (work / "results" / "fewshot" / "omniglot_split.json").symlink_to(
        ROOT / "results" / "fewshot" / "omniglot_split.json")

    def train_in_a_new_process(folder: pathlib.Path, iterations: int) -> None:
        subprocess.run(
            [sys.executable, "-m", "pipelines.fewshot.train", run, "--out", str(folder / "out"),
             "--params", str(_params(tmp_path, iterations).resolve()),
             "--checkpoints", str(folder / "ckpt")],
            cwd=work, check=True, capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT), "MAMLBENCH_THREADS": "1"})

    train_in_a_new_process(tmp_path / "whole", 4)
    train_in_a_new_process(tmp_path / "parts", 2)
    train_in_a_new_process(tmp_path / "parts", 4)
    a = np.load(tmp_path / "whole" / "out" / "model.npz")
    b = np.load(tmp_path / "parts" / "out" / "model.npz")
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
