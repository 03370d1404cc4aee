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
    # "tiled": one copy of the weights per task, batched matmuls (fast, the default);
    # "loop": a Python loop over the tasks, unrolled when traced (the textbook form).
    formulation: str = "tiled"

    def __post_init__(self):
        if self.formulation not in ("tiled", "loop"):
            raise ValueError(f"formulation must be 'tiled' or 'loop', not {self.formulation!r}")


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
        num_tasks = tasks.support.x.shape[0]
        fast = self._adapt(inner_loop.tile(params, num_tasks), tasks.support, tasks.info)
        return tf.reduce_mean(self.task_loss(fast, tasks.query, tasks.info))

    def _loop_loss(self, params: Params, tasks: Task) -> tf.Tensor:
        losses = []
        for i in range(tasks.support.x.shape[0]):
            task = tf.nest.map_structure(lambda t, i=i: t[i], tasks)
            fast = self._adapt(params, task.support, task.info)
            losses.append(self.task_loss(fast, task.query, task.info))
        return tf.reduce_mean(tf.stack(losses))

    def _adapt(self, params: Params, support, info) -> Params:
        c = self.config
        return inner_loop.adapt(
            self.task_loss, params, support, info, c.inner_lr, c.inner_steps,
            first_order=c.first_order, keys=self.inner_keys(params),
        )[-1]
