"""The Method protocol: what training and evaluation need from MAML and from every baseline.

Evaluation has no per-method branch: it tiles `params` over the test tasks, calls `adapt` on the
support set (by default: gradient steps on `task_loss` for the `inner_keys`, through
`inner_loop.adapt`), and reports `score` on the query set (the loss itself for regression,
accuracy for classification). Methods differ only in how they predict (`predict`), what they
train on (`training_loss`, or `fit` for methods whose training is not a stream of meta-batches),
which weights adapt, and (rarely: the nearest-neighbour baseline) how they adapt.
"""
from collections.abc import Callable, Sequence

import tensorflow as tf

from benchmark import training
from benchmark.algorithms import inner_loop
from benchmark.models import Model, Params
from benchmark.tasks.base import Split, Task

Loss = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]  # (pred, y) -> per-task loss (or score)


class Method:
    """Base class: a functional model, a loss, and defaults that subclasses override."""

    name = "method"
    adapted_keys: Sequence[str] | None = None  # what test-time fine-tuning changes (None: all)
    eval_inner_lr: float | None = None  # test-time step size; None: tuned on validation tasks

    def __init__(self, model: Model, loss: Loss, metric: Loss | None = None):
        self.model = model
        self.loss = loss
        self.metric = metric or loss  # what evaluation reports per task

    def inner_keys(self, params: Params) -> list[str]:
        """The weights fine-tuning changes: `adapted_keys` (all if None) minus the model's frozen."""
        keys = params if self.adapted_keys is None else self.adapted_keys
        return [k for k in keys if k not in self.model.frozen]

    def init(self, seed: int) -> Params:
        return self.model.init(seed)

    def adapt(self, params: Params, support: Split, info: dict, inner_lr, steps: int
              ) -> list[Params]:
        """The weights after 0..steps steps of test-time adaptation to `support`."""
        return inner_loop.adapt(self.task_loss, params, support, info, inner_lr, steps,
                                keys=self.inner_keys(params))

    def predict(self, params: Params, x: tf.Tensor, info: dict) -> tf.Tensor:
        return self.model.apply(params, x)

    def task_loss(self, params: Params, split: Split, info: dict) -> tf.Tensor:
        return self.loss(self.predict(params, split.x, info), split.y)

    def score(self, params: Params, split: Split, info: dict) -> tf.Tensor:
        return self.metric(self.predict(params, split.x, info), split.y)

    def training_loss(self, params: Params, tasks: Task) -> tf.Tensor:
        raise NotImplementedError(f"{type(self).__name__} defines no meta-batch objective")

    def fit(self, params: Params, sample, config: "training.TrainConfig", run: "training.Run"):
        """Train from `params`; returns (params, learning curve, stats). Default: Adam on
        `training_loss` over meta-batches drawn by `sample`."""
        return training.fit(self.training_loss, params, sample, config, run)
