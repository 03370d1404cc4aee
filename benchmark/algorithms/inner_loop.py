"""The one inner loop: plain gradient descent on a task loss, for training and for evaluation.

MAML's adaptation, first-order MAML, test-time fine-tuning of every baseline and the
context-vector baseline (which adapts only some keys) all run through `adapt`.

Contract: when the data carry a leading task axis, `params` must carry it too (see `tile`). The
loss is summed over tasks before differentiating, and since each task only touches its own copy
of the weights, the gradient of the sum is the per-task gradient.
"""
from collections.abc import Callable, Sequence

import tensorflow as tf

Params = dict[str, tf.Tensor]
TaskLoss = Callable[[Params, object, dict], tf.Tensor]  # (params, split, info) -> per-task loss


def tile(params: Params, num_tasks: int) -> Params:
    """One copy of the weights per task; differentiable (its gradient sums over tasks)."""
    return {k: tf.broadcast_to(v, [num_tasks, *v.shape]) for k, v in params.items()}


def adapt(
    loss: TaskLoss,
    params: Params,
    split,
    info: dict,
    inner_lr,
    steps: int,
    first_order: bool = False,
    keys: Sequence[str] | None = None,
) -> list[Params]:
    """`steps` SGD steps on `loss(params, split, info)`; returns the params after 0..steps steps.

    Called inside an outer `tf.GradientTape`, the returned weights stay differentiable with
    respect to `params` through the inner gradients (second-order MAML). With `first_order`
    the inner gradients are treated as constants (FOMAML, the reference's `stop_grad`).
    `keys` limits adaptation to a subset of the params (None: all of them).
    """
    keys = list(params) if keys is None else list(keys)
    trajectory = [params]
    fast = params
    for _ in range(steps):
        if not keys:  # nothing adapts (e.g. the oracle): the weights stay as they are
            trajectory.append(fast)
            continue
        adapted = {k: fast[k] for k in keys}
        with tf.GradientTape() as tape:
            tape.watch(adapted)
            total = tf.reduce_sum(loss({**fast, **adapted}, split, info))
        grads = tape.gradient(total, adapted)
        if first_order:
            grads = {k: tf.stop_gradient(g) for k, g in grads.items()}
        fast = {**fast, **{k: adapted[k] - inner_lr * grads[k] for k in keys}}
        trajectory.append(fast)
    return trajectory
