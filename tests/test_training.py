"""Training is a pure function of its seed, resumes exactly, and stops cleanly on NaN."""
import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from benchmark import losses, training
from benchmark.algorithms.maml import Maml, MamlConfig
from benchmark.models.mlp import mlp
from benchmark.optim import Adam
from benchmark.tasks.sinusoid import Sinusoid

CONFIG = training.TrainConfig(iterations=60, meta_batch_size=4, shots=5, query_shots=5,
                              chunk_iterations=20, checkpoint_every=20, log_every=10)


def _maml(inner_lr=0.01):
    return Maml(mlp(1, (16, 16), 1), losses.mse, MamlConfig(inner_lr=inner_lr))


def _fit(seed, config=CONFIG, method=None, **run):
    method = method or _maml()
    return method.fit(method.init(seed), Sinusoid().sample, config,
                      training.Run(seed=seed, log=lambda _: None, **run))


def _same(a, b):
    return all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)


def test_same_seed_same_result_bit_for_bit():
    p1, c1, _ = _fit(0)
    p2, c2, _ = _fit(0)
    assert _same(p1, p2) and c1 == c2


def test_different_seeds_differ():
    p1, _, _ = _fit(0)
    p2, _, _ = _fit(1)
    assert not _same(p1, p2)


def test_training_reduces_the_meta_loss():
    config = dataclasses.replace(CONFIG, iterations=2000, chunk_iterations=1000, log_every=200)
    _, curve, stats = _fit(0, config)
    assert stats["iterations"] == 2000
    assert curve[-1]["meta_loss"] < 0.8 * curve[0]["meta_loss"]


def test_resumed_run_equals_uninterrupted_run(tmp_path):
    resume = tmp_path / "resume.npz"
    full, full_curve, _ = _fit(0)
    short = dataclasses.replace(CONFIG, iterations=40)  # "killed" after 40 iterations
    _fit(0, short, resume_path=resume, fingerprint="f")
    assert resume.exists()
    resumed, resumed_curve, _ = _fit(0, resume_path=resume, fingerprint="f")
    assert _same(full, resumed)
    assert resumed_curve == full_curve


def test_every_checkpoint_and_the_resumed_one_are_reported(tmp_path):
    resume, seen = tmp_path / "resume.npz", []
    report = lambda params, iteration: seen.append((iteration, params))  # noqa: E731
    _fit(0, dataclasses.replace(CONFIG, iterations=40), resume_path=resume, fingerprint="f",
         on_checkpoint=report)
    assert [i for i, _ in seen] == [20, 40]
    seen.clear()
    final, _, _ = _fit(0, resume_path=resume, fingerprint="f", on_checkpoint=report)
    assert [i for i, _ in seen] == [40, 60]  # where it resumed, then the new checkpoint
    assert _same(seen[-1][1], final)


def test_tasks_drawn_per_chunk_are_the_tasks_drawn_per_iteration(monkeypatch):
    """The sinusoid's chunk of tasks is drawn up front; image tasks one iteration at a time.
    Both give the tasks of (seed, iteration) (rounding aside: XLA fuses the draw differently)."""
    _, ahead, _ = _fit(0)
    monkeypatch.setattr(training, "PRESAMPLE_BYTES", 0)
    _, each, _ = _fit(0)
    np.testing.assert_allclose([c["meta_loss"] for c in ahead], [c["meta_loss"] for c in each],
                               rtol=1e-4)


@pytest.mark.parametrize("presample_bytes", [0, training.PRESAMPLE_BYTES])
def test_the_chunk_compiles_to_one_program_whatever_its_start(monkeypatch, presample_bytes):
    """A chunk starting at another iteration must not be a new XLA program: with the start read
    inside the loop, a vectorized meta-batch drawn per iteration recompiled on every call."""
    monkeypatch.setattr(training, "PRESAMPLE_BYTES", presample_bytes)
    method = Maml(mlp(1, (16, 16), 1), losses.mse, MamlConfig(formulation="vectorized"))
    params = method.init(0)
    optimizer = Adam(CONFIG.meta_lr)
    chunk = training._compile_chunk(method.training_loss, Sinusoid().sample, optimizer, CONFIG, 0)

    def hlo(start):
        args = (params, optimizer.init(params), tf.constant(start, tf.int64), tf.constant(20))
        return chunk.compiled.experimental_get_compiler_ir(*args)(stage="hlo")

    assert hlo(0) == hlo(20)


def test_each_process_records_the_iterations_it_trained_and_its_provenance(tmp_path):
    resume = tmp_path / "resume.npz"
    _fit(0, dataclasses.replace(CONFIG, iterations=40), resume_path=resume, fingerprint="f",
         provenance={"commit": "aaa"})
    _, _, stats = _fit(0, resume_path=resume, fingerprint="f", provenance={"commit": "bbb"})
    assert [(s["first"], s["last"], s["commit"]) for s in stats["segments"]] == [
        (1, 40, "aaa"), (41, 60, "bbb")]
    assert all(s["threads"] == training.threads() and s["cores"] == training.cores()
               and s["wall_time_s"] > 0 for s in stats["segments"])
    # Resumed at its budget: nothing trained, nothing added.
    _, _, again = _fit(0, resume_path=resume, fingerprint="f", provenance={"commit": "ccc"})
    assert again["segments"] == stats["segments"]


def test_a_checkpoint_from_before_segments_says_its_provenance_is_not_recorded(tmp_path):
    resume = tmp_path / "resume.npz"
    _fit(0, dataclasses.replace(CONFIG, iterations=40), resume_path=resume, fingerprint="f")
    arrays = training.load_npz(resume)
    del arrays["segments"]
    training.save_npz(resume, arrays)
    _, _, stats = _fit(0, resume_path=resume, fingerprint="f", provenance={"commit": "bbb"})
    assert [(s["first"], s["last"], s["commit"]) for s in stats["segments"]] == [
        (1, 40, "not recorded"), (41, 60, "bbb")]


def test_a_checkpoint_past_the_budget_is_refused_not_returned(tmp_path):
    resume = tmp_path / "resume.npz"
    _fit(0, resume_path=resume, fingerprint="f")  # 60 iterations
    with pytest.raises(ValueError, match="past this run's budget of 40 iterations"):
        _fit(0, dataclasses.replace(CONFIG, iterations=40), resume_path=resume, fingerprint="f")


def test_a_resume_on_another_thread_count_is_refused(tmp_path, monkeypatch):
    resume = tmp_path / "resume.npz"
    _fit(0, dataclasses.replace(CONFIG, iterations=40), resume_path=resume, fingerprint="f")
    saved = training.threads()
    monkeypatch.setattr(training, "threads", lambda: saved + 1)
    with pytest.raises(ValueError, match=f"MAMLBENCH_THREADS={saved}"):
        _fit(0, resume_path=resume, fingerprint="f")


def test_a_run_at_its_budget_hands_its_weights_back_on_any_thread_count(tmp_path, monkeypatch):
    resume = tmp_path / "resume.npz"
    trained, _, _ = _fit(0, resume_path=resume, fingerprint="f")
    saved = training.threads()
    monkeypatch.setattr(training, "threads", lambda: saved + 1)
    again, _, stats = _fit(0, resume_path=resume, fingerprint="f")  # nothing left to train
    assert _same(trained, again) and stats["segments"][-1]["threads"] == saved


def test_resume_ignores_a_checkpoint_of_other_settings(tmp_path):
    resume = tmp_path / "resume.npz"
    _fit(0, dataclasses.replace(CONFIG, iterations=40), resume_path=resume, fingerprint="a")
    lines = []
    _maml().fit(_maml().init(0), Sinusoid().sample, CONFIG,
                training.Run(seed=0, resume_path=resume, fingerprint="b", log=lines.append))
    assert any("other settings" in line for line in lines)


def test_nan_loss_stops_with_the_iteration_and_keeps_the_last_good_checkpoint(tmp_path):
    resume = tmp_path / "resume.npz"
    poisoned_after = 30

    def objective(params, tasks):
        loss = tf.reduce_mean(tf.square(params["w"]))
        return tf.where(params["step"][0] >= poisoned_after, np.nan, loss)

    def bump(params, tasks):  # a parameter that counts iterations through its gradient
        return objective(params, tasks) - params["step"][0]

    params = {"w": tf.ones([2]), "step": tf.zeros([1])}
    config = dataclasses.replace(CONFIG, meta_lr=1.0)  # Adam moves `step` by ~1 per iteration
    with pytest.raises(training.TrainingDiverged, match=r"iteration \d+.*iteration 20"):
        training.fit(bump, params, Sinusoid().sample, config,
                     training.Run(seed=0, resume_path=resume, fingerprint="f",
                                  log=lambda _: None))
    kept = training.load_npz(resume)
    assert int(kept["iteration"]) == 20 and np.all(np.isfinite(kept["params/w"]))


def test_learning_curve_windows():
    curve = training.learning_curve(np.arange(25, dtype=np.float32), 10)
    assert [p["step"] for p in curve] == [10, 20, 25]
    assert curve[0]["meta_loss"] == pytest.approx(4.5)


def test_cores_count_ops_side_by_side_not_only_threads_within_an_op(monkeypatch):
    monkeypatch.setattr(training.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(training, "threads", lambda: 1)
    inter = lambda n: monkeypatch.setattr(  # noqa: E731
        training.tf.config.threading, "get_inter_op_parallelism_threads", lambda: n)
    inter(2)
    assert training.cores() == 2  # runtime.configure(2, across_ops=True)
    inter(1)
    assert training.cores() == 1  # one thread
    inter(8)
    assert training.cores() == 2  # never more than the machine has
