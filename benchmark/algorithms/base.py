"""The Method protocol: what training and evaluation need from MAML and from every baseline.

Evaluation has no per-method branch: it tiles `params` over the test tasks, fine-tunes the
`adapted_keys` with `inner_loop.adapt` on `task_loss`, and scores `task_loss` on the query set.
Methods differ only in how they predict (`predict`), what they train on (`training_loss`, or
`fit` for methods whose training is not a stream of meta-batches), and which weights adapt.
"""
from collections.abc import Callable, Sequence

import tensorflow as tf

from benchmark import training
from benchmark.models import Model, Params
from benchmark.tasks.base import Split, Task

Loss = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]  # (pred, y) -> per-task loss


class Method:
    """Base class: a functional model, a loss, and defaults that subclasses override."""

    name = "method"
    adapted_keys: Sequence[str] | None = None  # what test-time fine-tuning changes (None: all)
    eval_inner_lr: float | None = None  # test-time step size; None: tuned on validation tasks

    def __init__(self, model: Model, loss: Loss):
        self.model = model
        self.loss = loss

    def init(self, seed: int) -> Params:
        return self.model.init(seed)

    def predict(self, params: Params, x: tf.Tensor, info: dict) -> tf.Tensor:
        return self.model.apply(params, x)

    def task_loss(self, params: Params, split: Split, info: dict) -> tf.Tensor:
        return self.loss(self.predict(params, split.x, info), split.y)

    def training_loss(self, params: Params, tasks: Task) -> tf.Tensor:
        raise NotImplementedError(f"{type(self).__name__} defines no meta-batch objective")

    def fit(self, params: Params, sample, config: "training.TrainConfig", run: "training.Run"):
        """Train from `params`; returns (params, learning curve, stats). Default: Adam on
        `training_loss` over meta-batches drawn by `sample`."""
        return training.fit(self.training_loss, params, sample, config, run)
