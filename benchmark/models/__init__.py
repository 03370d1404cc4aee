"""Functional models: weights are an explicit dict, `apply(params, x)` is a pure function.

Every `apply` is rank-polymorphic: params may carry a leading task axis (one copy of the
weights per task, as the inner loop needs) or not (shared weights), and x may be
[num_examples, dim] or [num_tasks, num_examples, dim].
"""
import dataclasses
from collections.abc import Callable

import tensorflow as tf

Params = dict[str, tf.Tensor]


@dataclasses.dataclass(frozen=True)
class Model:
    init: Callable[[int], Params]  # seed -> params
    apply: Callable[[Params, tf.Tensor], tf.Tensor]  # (params, x) -> outputs
    # Weights the inner loop never adapts; only the outer optimiser trains them (the reference's
    # batch-norm offsets, which live outside its `weights` dict).
    frozen: tuple[str, ...] = ()
    # (params, x) -> the last hidden layer, what the output layer reads (None: not exposed);
    # the nearest-neighbour baseline classifies with it
    features: Callable[[Params, tf.Tensor], tf.Tensor] | None = None
