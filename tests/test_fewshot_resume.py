"""A few-shot run stopped part-way continues from its checkpoint to the same weights, bit for bit,
as a run that never stopped (the tasks of iteration i depend only on (seed, i))."""
import pathlib
import re

import numpy as np
import pytest

from benchmark.datasets import omniglot, save_images
from pipelines.fewshot import build, train

MIRROR = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "omniglot"


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
