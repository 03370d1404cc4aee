"""Few-shot evaluation with no per-method branch: fine-tune on K points, score the query set.

Protocol (cbfinn/maml `--train=False`): a fixed set of held-out tasks drawn from one seed, the
same K support points reused at every gradient step, the query loss after 0..`steps` steps,
reported as mean and 95% CI over tasks.
"""
import functools
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from benchmark import seeding
from benchmark.algorithms import inner_loop
from benchmark.algorithms.base import Method

TEST_STREAM = "test-tasks"
VALIDATION_STREAM = "validation-tasks"


def sample_eval_tasks(distribution, purpose: str, seed: int, num_tasks: int, shots: int,
                      query_shots: int):
    """The evaluation tasks of a purpose ("test-tasks" or "validation-tasks"): the same for every
    method and every training seed, so comparisons between methods are paired."""
    return distribution.sample(
        seeding.tf_seed(seeding.stream(purpose, seed), 0), num_tasks, shots, query_shots
    )


def query_losses(method: Method, params, tasks, inner_lr: float, steps: int,
                 batch: int | None = None) -> np.ndarray:
    """Per-task query loss after 0..steps fine-tuning steps: array [steps + 1, num_tasks]."""
    return query_metrics(method, params, tasks, inner_lr, steps, batch)[0]


def query_metrics(method: Method, params, tasks, inner_lr: float, steps: int,
                  batch: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-task query (loss, score) after 0..steps fine-tuning steps, each [steps + 1, num_tasks].

    `batch` bounds how many tasks are fine-tuned at once (memory: conv activations scale with
    it); None fine-tunes all of them together. Tasks are independent, so it changes no number.
    """
    fn = _compiled_query_metrics(method, steps)
    num_tasks = tasks.support.x.shape[0]
    batch = batch or num_tasks
    lr = tf.constant(inner_lr, tf.float32)
    parts = [fn(params, tf.nest.map_structure(lambda t, i=i: t[i : i + batch], tasks), lr)
             for i in range(0, num_tasks, batch)]
    return tuple(np.concatenate([p[j].numpy() for p in parts], axis=1) for j in range(2))


def adapted_params(method: Method, params, split, info, inner_lr: float, steps: int):
    """The weights after 0..steps fine-tuning steps on one task's support set (for plots)."""
    return method.adapt(params, split, info, inner_lr, steps)


@functools.cache
def _compiled_query_metrics(method: Method, steps: int):
    @tf.function(jit_compile=True)
    def fn(params, tasks, inner_lr):
        tiled = inner_loop.tile(params, tasks.support.x.shape[0])
        trajectory = method.adapt(tiled, tasks.support, tasks.info, inner_lr, steps)
        return (tf.stack([method.task_loss(p, tasks.query, tasks.info) for p in trajectory]),
                tf.stack([method.score(p, tasks.query, tasks.info) for p in trajectory]))

    return fn


def tune_inner_lr(method: Method, params, tasks, grid, steps: int,
                  batch: int | None = None) -> tuple[float, dict]:
    """The step size from `grid` with the lowest query loss on validation `tasks`, averaged over
    steps 1..steps (the paper's "automatically tuned step size" for fine-tuned baselines).
    Diverging step sizes score +inf. Returns (best, {lr: score})."""
    scores = {}
    for lr in grid:
        losses = query_losses(method, params, tasks, lr, steps, batch)[1:].mean(axis=1)
        scores[float(lr)] = float(losses.mean()) if np.all(np.isfinite(losses)) else float("inf")
    best = min(scores, key=scores.get)
    if not np.isfinite(scores[best]):
        raise FloatingPointError(f"every step size in {list(grid)} diverged for {method.name}")
    return best, scores


def choose_inner_lr(method: Method, params, validation_tasks: Callable[[], object], grid,
                  steps: int, batch: int | None = None) -> tuple[float, dict | None, str]:
    """The step size test-time fine-tuning uses: the method's own (MAML: its training alpha) or,
    for methods without one (`eval_inner_lr` None), the best of `grid` on the tasks that
    `validation_tasks()` samples. Returns (step size, {candidate: score} or None, how chosen)."""
    if method.eval_inner_lr is not None:
        return method.eval_inner_lr, None, "the method's own"
    tasks = validation_tasks()
    lr, scores = tune_inner_lr(method, params, tasks, grid, steps, batch)
    n = tasks.support.x.shape[0]
    return lr, scores, f"tuned on {n} validation tasks (mean query loss over steps 1..{steps})"
