"""MAML (Finn et al. 2017, Algorithm 2) and first-order MAML on functional weights."""
import dataclasses

import tensorflow as tf

from benchmark.algorithms import inner_loop
from benchmark.algorithms.base import Method
from benchmark.models import Params
from benchmark.tasks.base import Task


@dataclasses.dataclass(frozen=True)
class MamlConfig:
    inner_lr: float = 0.01  # alpha
    inner_steps: int = 1  # inner gradient steps at meta-training time
    first_order: bool = False  # True: FOMAML (drop the second-order terms)
    # How the meta-batch is batched; every form computes the same function (tests/test_maml.py):
    # "tiled": one copy of the weights per task, batched matmuls;
    # "vectorized": one task's loss, vectorized over the tasks by `tf.vectorized_map` (as JAX's
    #   vmap): layers applied with the shared initial weights stay plain matmuls over all tasks'
    #   examples, and only the adapted weights are per task. Fastest for the sinusoid MLP;
    #   TensorFlow cannot vectorize the gradients of convolutions under XLA this way;
    # "loop": a Python loop over the tasks, unrolled when traced (the textbook form).
    formulation: str = "tiled"

    def __post_init__(self):
        if self.formulation not in FORMULATIONS:
            raise ValueError(
                f"formulation must be one of {', '.join(FORMULATIONS)}, not {self.formulation!r}")


FORMULATIONS = ("tiled", "vectorized", "loop")


class Maml(Method):
    """Meta-trains the initialisation; at test time fine-tunes with the training step size."""

    name = "maml"

    def __init__(self, model, loss, config: MamlConfig, metric=None):
        super().__init__(model, loss, metric)
        self.config = config
        self.eval_inner_lr = config.inner_lr

    def training_loss(self, params: Params, tasks: Task) -> tf.Tensor:
        """Mean query loss after adapting to each task's support set (differentiable in params)."""
        if self.config.formulation == "loop":
            return self._loop_loss(params, tasks)
        if self.config.formulation == "vectorized":
            # No fallback to a while loop: an op pfor cannot vectorize is an error, not slowness.
            return tf.reduce_mean(tf.vectorized_map(
                lambda task: self._query_loss(params, task), tasks, fallback_to_while_loop=False))
        num_tasks = tasks.support.x.shape[0]
        fast = self._adapt(inner_loop.tile(params, num_tasks), tasks.support, tasks.info)
        return tf.reduce_mean(self.task_loss(fast, tasks.query, tasks.info))

    def _loop_loss(self, params: Params, tasks: Task) -> tf.Tensor:
        losses = []
        for i in range(tasks.support.x.shape[0]):
            losses.append(self._query_loss(params, tf.nest.map_structure(lambda t, i=i: t[i], tasks)))
        return tf.reduce_mean(tf.stack(losses))

    def _query_loss(self, params: Params, task: Task) -> tf.Tensor:
        """One task (no task axis): the query loss after adapting to its support set."""
        return self.task_loss(self._adapt(params, task.support, task.info), task.query, task.info)

    def _adapt(self, params: Params, support, info) -> Params:
        c = self.config
        return inner_loop.adapt(
            self.task_loss, params, support, info, c.inner_lr, c.inner_steps,
            first_order=c.first_order, keys=self.inner_keys(params),
        )[-1]
