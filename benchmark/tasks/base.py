"""Containers shared by every task family, and the sampling protocol.

A `Task` is a tf.nest structure of tensors. With a leading task axis on every leaf it is a
meta-batch. Samplers are *stateless*: the tasks of meta-iteration `i` are a pure function of
`(stream, i)`, so training can run inside one compiled loop, resume after a crash, and give
the same tasks on every machine.
"""
from typing import NamedTuple, Protocol

import tensorflow as tf


class Split(NamedTuple):
    x: tf.Tensor  # [..., num_examples, dim_in]
    y: tf.Tensor  # [..., num_examples, dim_out]


class Task(NamedTuple):
    support: Split  # the inner loop's data ("a" in the reference code)
    query: Split  # the outer loop's and the evaluator's data ("b")
    info: dict[str, tf.Tensor]  # task parameters, for the oracle baseline and for plots


class TaskDistribution(Protocol):
    def sample(self, seed: tf.Tensor, num_tasks: int, shots: int, query_shots: int) -> Task:
        """A meta-batch of `num_tasks` tasks from a stateless seed (int32/int64 tensor of shape [2])."""
        ...
