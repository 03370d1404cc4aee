"""Evaluation protocol, baselines' behaviour at test time, and the evaluate stage's errors."""
import pathlib

import numpy as np
import pytest
import tensorflow as tf

from baselines.context_vector import ContextVector
from baselines.oracle import Oracle
from benchmark import evaluation, losses, metrics
from benchmark.algorithms.maml import Maml, MamlConfig
from benchmark.models.mlp import mlp
from benchmark.tasks.sinusoid import Sinusoid
from pipelines import evaluate, io


def test_ci95_is_the_reference_formula():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    mean, ci = metrics.mean_ci95(values)
    assert mean == 2.5 and ci == pytest.approx(1.96 * np.std(values) / 2)


def test_eval_tasks_are_fixed_by_seed_and_differ_between_purposes():
    a = evaluation.sample_eval_tasks(Sinusoid(), evaluation.TEST_STREAM, 1, 8, 5, 5)
    b = evaluation.sample_eval_tasks(Sinusoid(), evaluation.TEST_STREAM, 1, 8, 5, 5)
    v = evaluation.sample_eval_tasks(Sinusoid(), evaluation.VALIDATION_STREAM, 1, 8, 5, 5)
    np.testing.assert_array_equal(a.support.x, b.support.x)
    assert not np.allclose(a.support.x, v.support.x)


def test_sinusoid_ranges_and_shapes():
    t = Sinusoid().sample(tf.constant([3, 4], tf.int64), 500, 5, 7)
    assert t.support.x.shape == (500, 5, 1) and t.query.y.shape == (500, 7, 1)
    amp, phase = t.info["amplitude"].numpy(), t.info["phase"].numpy()
    assert amp.min() >= 0.1 and amp.max() <= 5.0 and phase.min() >= 0 and phase.max() <= np.pi
    expected = amp[:, None, None] * np.sin(t.query.x - phase[:, None, None])
    np.testing.assert_allclose(t.query.y, expected, rtol=1e-5, atol=1e-5)


def test_query_losses_step_zero_is_the_unadapted_loss_and_steps_reduce_it():
    method = Maml(mlp(1, (16,), 1, init_std=0.5), losses.mse, MamlConfig(inner_lr=0.01))
    params = method.init(0)
    tasks = evaluation.sample_eval_tasks(Sinusoid(), evaluation.TEST_STREAM, 1, 20, 10, 10)
    out = evaluation.query_losses(method, params, tasks, 0.01, 5)
    assert out.shape == (6, 20)
    np.testing.assert_allclose(out[0], method.task_loss(params, tasks.query, tasks.info), rtol=1e-5)
    assert out[5].mean() < out[0].mean()


def test_oracle_sees_the_task_and_does_not_adapt():
    oracle = Oracle(mlp(3, (8,), 1, init_std=0.5), losses.mse, ("amplitude", "phase"))
    params = oracle.init(0)
    tasks = evaluation.sample_eval_tasks(Sinusoid(), evaluation.TEST_STREAM, 1, 4, 5, 5)
    out = evaluation.query_losses(oracle, params, tasks, 0.1, 3)
    np.testing.assert_allclose(out[0], out[3])


def test_context_vector_adapts_only_z():
    method = ContextVector(mlp(1 + 5, (8,), 1, init_std=0.5), losses.mse, MamlConfig(0.1), (5,))
    params = method.init(0)
    tasks = evaluation.sample_eval_tasks(Sinusoid(), evaluation.TEST_STREAM, 1, 1, 5, 5)
    task = tf.nest.map_structure(lambda t: t[0], tasks)
    trajectory = evaluation.adapted_params(method, params, task.support, task.info, 0.1, 2)
    for k in params:
        changed = not np.allclose(trajectory[-1][k], params[k])
        assert changed == (k == "z"), k


def test_tune_inner_lr_rejects_diverging_step_sizes():
    method = Maml(mlp(1, (16,), 1, init_std=0.5), losses.mse, MamlConfig())
    tasks = evaluation.sample_eval_tasks(Sinusoid(), evaluation.VALIDATION_STREAM, 2, 20, 10, 10)
    best, scores = evaluation.tune_inner_lr(method, method.init(0), tasks, [1e-3, 1e-2, 1e3], 5)
    assert scores[1e3] == float("inf") and best in (1e-3, 1e-2)


def test_evaluate_without_a_checkpoint_says_how_to_make_one(tmp_path):
    root = pathlib.Path(__file__).resolve().parents[1]
    with pytest.raises(FileNotFoundError, match=r"no trained model.*dvc repro"):
        evaluate.main(["maml", "--seed", "0", "--run", str(tmp_path / "missing"),
                       "--params", str(root / "params.yaml")])


def test_params_round_trip(tmp_path):
    params = {"w": tf.constant([[1.0, 2.0]]), "b": tf.constant([0.5])}
    io.save_params(params, tmp_path / "m.npz")
    loaded = io.load_params(tmp_path / "m.npz")
    assert set(loaded) == {"w", "b"} and np.array_equal(loaded["w"], params["w"])
