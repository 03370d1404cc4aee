"""Training a few-shot run ahead of the pipeline, and joining it to params.yaml afterwards."""
import json
import pathlib
import shutil

import numpy as np
import pytest
import yaml

from benchmark.config import ConfigError
from pipelines.fewshot import settings, train_ahead

ROOT = pathlib.Path(__file__).resolve().parents[1]
NEW_RUN = "omniglot_20w5s-fomaml-3"  # a run no profile has: seed 3 is never committed


def test_a_run_trained_ahead_gets_the_pipelines_params_with_its_budget(tmp_path):
    raw = train_ahead.params_for(ROOT / "params.yaml", NEW_RUN, 30000)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    s = settings.load(path)
    assert s.fewshot.runs[NEW_RUN] == settings.RunSpec(
        experiment="omniglot_20w5s", method="fomaml", seed=3, data="omniglot")
    assert s.iterations(NEW_RUN) == 30000
    committed = settings.load(ROOT / "params.yaml")
    for run in committed.fewshot.runs:  # the other runs' budgets are kept
        assert s.iterations(run) == committed.iterations(run)
    # the rewritten file (anchors expanded, comments gone) holds the same settings, so the run
    # and its checkpoint's fingerprint are the pipeline's
    assert (s.fewshot.experiments, s.fewshot.methods) == (committed.fewshot.experiments,
                                                          committed.fewshot.methods)
    # without --iterations, the profile's budget; a committed run keeps its own entry
    for run in (NEW_RUN, *committed.fewshot.runs):
        path.write_text(yaml.safe_dump(train_ahead.params_for(ROOT / "params.yaml", run, None)))
        assert settings.load(path).iterations(run) == (
            committed.budget.max_iterations if run == NEW_RUN else committed.iterations(run))


def test_a_run_trained_ahead_may_checkpoint_more_often_under_the_same_checkpoint_name(tmp_path):
    from pipelines.fewshot import build

    committed = settings.load(ROOT / "params.yaml")
    path = tmp_path / "params.yaml"
    every = 5 * committed.budget.chunk_iterations
    assert every != committed.budget.checkpoint_every
    path.write_text(yaml.safe_dump(train_ahead.params_for(ROOT / "params.yaml", NEW_RUN, None,
                                                          checkpoint_every=every)))
    s = settings.load(path)
    assert s.budget.checkpoint_every == every
    # the same checkpoint, so that a run goes on from where it stood
    path.write_text(yaml.safe_dump(train_ahead.params_for(ROOT / "params.yaml", NEW_RUN, None)))
    assert build.checkpoint_name(s, NEW_RUN) == build.checkpoint_name(settings.load(path), NEW_RUN)
    for bad in (0, committed.budget.chunk_iterations + 1):
        with pytest.raises(ConfigError, match="multiple of the profile's chunk_iterations"):
            train_ahead.params_for(ROOT / "params.yaml", NEW_RUN, None, checkpoint_every=bad)


@pytest.mark.parametrize("run, match", [
    ("omniglot_20w1s-maml", "not named <experiment>-<method>-<seed>"),
    ("omniglot_9w1s-maml-0", "experiment 'omniglot_9w1s' or method 'maml' is not defined")])
def test_a_run_trained_ahead_must_name_a_defined_experiment_and_method(run, match):
    with pytest.raises(ConfigError, match=match):
        train_ahead.params_for(ROOT / "params.yaml", run, None)


def _checkpoint(folder: pathlib.Path, params: pathlib.Path, run: str, iteration: int):
    """A stand-in checkpoint under the name training would give it (join reads its iteration)."""
    from pipelines.fewshot import build

    name = build.checkpoint_name(train_ahead._loaded(train_ahead.params_for(params, run, None)), run)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / f"{name}.npz", iteration=np.int64(iteration))
    (folder / f"{name}.validation.json").write_text(f'[{{"step": {iteration}}}]\n')
    return name


@pytest.fixture
def repo(tmp_path):
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    return tmp_path


def test_joining_a_new_run_adds_it_and_its_budget_and_keeps_every_comment(repo):
    params, ahead, committed = repo / "params.yaml", repo / "ahead", repo / "committed"
    before = params.read_text()
    name = _checkpoint(ahead, params, NEW_RUN, 15000)

    message = train_ahead.join(params, NEW_RUN, ahead, committed)

    s = settings.load(params)
    assert s.fewshot.runs[NEW_RUN].seed == 3 and s.iterations(NEW_RUN) == 15000
    assert "dvc repro fewshot_report" in message
    # a text edit: every line of the old file is still there, in order, and two or three new ones
    after = params.read_text().splitlines()
    old = iter(after)
    assert all(line in old for line in before.splitlines())
    assert 2 <= len(after) - len(before.splitlines()) <= 3
    assert sorted(p.name for p in committed.iterdir()) == [f"{name}.npz",
                                                           f"{name}.validation.json"]
    assert not list(ahead.iterdir())


def test_joining_a_committed_run_further_on_moves_its_budget(repo):
    params, ahead, committed = repo / "params.yaml", repo / "ahead", repo / "committed"
    s = settings.load(params)
    run = next(r for r in s.fewshot.runs if s.iterations(r) < 60000)
    name = _checkpoint(committed, params, run, 100)
    _checkpoint(ahead, params, run, 60000)

    train_ahead.join(params, run, ahead, committed)

    assert settings.load(params).iterations(run) == 60000
    assert int(np.load(committed / f"{name}.npz")["iteration"]) == 60000
    # joining the older checkpoint over the newer one is refused, and changes nothing
    _checkpoint(ahead, params, run, 1000)
    text = params.read_text()
    with pytest.raises(ConfigError, match="further on"):
        train_ahead.join(params, run, ahead, committed)
    assert params.read_text() == text


def test_joining_a_checkpoint_in_a_validation_dip_is_refused_unless_accepted(repo):
    params, ahead, committed = repo / "params.yaml", repo / "ahead", repo / "committed"
    name = _checkpoint(ahead, params, NEW_RUN, 1500)
    scores = ahead / f"{name}.validation.json"
    text = params.read_text()

    def validation(*accuracies):
        scores.write_text(json.dumps([{"step": 500 * (i + 1), "val_accuracy": a}
                                      for i, a in enumerate(accuracies)]))

    validation(0.90, 0.979, 0.928)  # a loss spike at the latest checkpoint
    with pytest.raises(ConfigError, match=r"92.8%, 5.1 points below its best \(97.9% at 1000\)"):
        train_ahead.join(params, NEW_RUN, ahead, committed)
    assert params.read_text() == text and not committed.exists()  # nothing moved
    message = train_ahead.join(params, NEW_RUN, ahead, committed, accept_dip=True)
    assert "validation accuracy 92.8%; its best, 97.9%, at 1000" in message
    assert settings.load(params).iterations(NEW_RUN) == 1500

    # a checkpoint within the noise of the best joins without asking
    params.write_text(text)
    shutil.rmtree(committed)
    _checkpoint(ahead, params, NEW_RUN, 1500)
    validation(0.90, 0.979, 0.962)
    assert "joined at 1500" in train_ahead.join(params, NEW_RUN, ahead, committed)


def test_joining_without_a_checkpoint_names_the_command_that_trains_it(repo):
    with pytest.raises(ConfigError, match=f"train_ahead {NEW_RUN}"):
        train_ahead.join(repo / "params.yaml", NEW_RUN, repo / "ahead", repo / "committed")


def test_a_committed_run_trains_on_from_its_committed_checkpoint_not_from_scratch(repo):
    params, ahead, committed = repo / "params.yaml", repo / "ahead", repo / "committed"
    s = settings.load(params)
    run = next(r for r in s.fewshot.runs if s.iterations(r) < 60000)
    name = _checkpoint(committed, params, run, 12000)

    def iteration() -> int:
        return int(np.load(ahead / f"{name}.npz")["iteration"])

    assert "12000 iterations" in train_ahead.start_from_committed(s, run, ahead, committed)
    assert iteration() == 12000
    assert (ahead / f"{name}.validation.json").read_text() == '[{"step": 12000}]\n'
    # a run ahead further on is kept; one behind the committed checkpoint is replaced by it
    _checkpoint(ahead, params, run, 13000)
    assert train_ahead.start_from_committed(s, run, ahead, committed) is None
    assert iteration() == 13000
    _checkpoint(ahead, params, run, 500)
    assert train_ahead.start_from_committed(s, run, ahead, committed)
    assert iteration() == 12000
    # a run never committed starts from scratch
    new = train_ahead._loaded(train_ahead.params_for(params, NEW_RUN, None))
    assert train_ahead.start_from_committed(new, NEW_RUN, repo / "elsewhere", committed) is None
    assert not (repo / "elsewhere").exists()
