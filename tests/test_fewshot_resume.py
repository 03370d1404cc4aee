"""A few-shot run stopped part-way continues from its checkpoint to the same weights, bit for bit,
as a run that never stopped (the tasks of iteration i depend only on (seed, i))."""
import json
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


@pytest.fixture
def in_a_new_process(tmp_path, omniglot_arrays):
    """train(run, folder, iterations, threads): the train stage in its own process, as `dvc repro`
    starts it, with data/ and the split as the stage sees them, whichever arrays were found."""
    work = tmp_path / "work"
    (work / build.DATA / "omniglot" / "arrays").mkdir(parents=True)
    (work / build.DATA / "omniglot" / "arrays" / "omniglot28.npz").symlink_to(
        build.OMNIGLOT_ARRAYS.resolve())
    (work / "results" / "fewshot").mkdir(parents=True)
    (work / "results" / "fewshot" / "omniglot_split.json").symlink_to(
        ROOT / "results" / "fewshot" / "omniglot_split.json")

    def train(run: str, folder: pathlib.Path, iterations: int, threads: int = 1) -> dict:
        subprocess.run(
            [sys.executable, "-m", "pipelines.fewshot.train", run, "--out", str(folder / "out"),
             "--params", str(_params(tmp_path, iterations).resolve()),
             "--checkpoints", str(folder / "ckpt")],
            cwd=work, check=True, capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT), "MAMLBENCH_THREADS": str(threads)})
        return dict(np.load(folder / "out" / "model.npz"))

    return train


def _assert_same_weights(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.mark.slow
def test_a_run_continued_in_a_new_process_repeats_an_unbroken_one(tmp_path, in_a_new_process):
    """What a killed run really does: each part is its own process, as `dvc repro` starts them.
    (Grappler's memory optimizer once made the same meta-iteration differ between processes:
    on 5-way 5-shot's graph, not on 5-way 1-shot's, which it left alone.)"""
    run = "omniglot_5w5s-maml-0"
    whole = in_a_new_process(run, tmp_path / "whole", 4)
    in_a_new_process(run, tmp_path / "parts", 2)
    _assert_same_weights(whole, in_a_new_process(run, tmp_path / "parts", 4))


@pytest.mark.slow
@pytest.mark.parametrize("run", ["omniglot_5w1s-maml-0",  # Eigen's kernels
                                 "omniglot_5w5s-maml-0"])  # oneDNN's
def test_the_loop_form_on_two_threads_continues_a_one_thread_run_bit_for_bit(
        tmp_path, in_a_new_process, run):
    """The loop form spreads threads across its tasks, each op on one thread (runtime), so a run
    on both cores computes what one thread does and may continue its checkpoint."""
    whole = in_a_new_process(run, tmp_path / "whole", 4, threads=1)
    in_a_new_process(run, tmp_path / "parts", 2, threads=1)
    _assert_same_weights(whole, in_a_new_process(run, tmp_path / "parts", 4, threads=2))
    # Its stretch says it ran on both cores, though each op ran on one thread.
    segments = json.loads((tmp_path / "parts" / "out" / "train.json").read_text())["segments"]
    assert [(s["threads"], s["cores"]) for s in segments] == [(1, 1), (1, min(2, os.cpu_count()))]
