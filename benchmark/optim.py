"""Adam over a params dict, functional (state in, state out), matching TF1's AdamOptimizer.

The reference uses `tf.train.AdamOptimizer` (epsilon 1e-8, applied to sqrt(v) before the bias
correction is folded into the step size); Keras' Adam defaults to epsilon 1e-7. Keeping the
optimiser here also keeps Keras out of the core.
"""
import dataclasses
from typing import NamedTuple

import tensorflow as tf

Params = dict[str, tf.Tensor]


class AdamState(NamedTuple):
    step: tf.Tensor  # int64 scalar: updates applied so far
    m: Params
    v: Params


@dataclasses.dataclass(frozen=True)
class Adam:
    learning_rate: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    clip_value: float | None = None  # clip each gradient entry to ±clip_value first (reference: MiniImageNet)

    def init(self, params: Params) -> AdamState:
        zeros = {k: tf.zeros_like(v) for k, v in params.items()}
        return AdamState(tf.constant(0, tf.int64), zeros, dict(zeros))

    def update(self, params: Params, grads: Params, state: AdamState) -> tuple[Params, AdamState]:
        step = state.step + 1
        t = tf.cast(step, tf.float32)
        lr_t = self.learning_rate * tf.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)
        new_params, m, v = {}, {}, {}
        for k, p in params.items():
            g = grads[k]
            if self.clip_value is not None:
                g = tf.clip_by_value(g, -self.clip_value, self.clip_value)
            m[k] = self.beta1 * state.m[k] + (1.0 - self.beta1) * g
            v[k] = self.beta2 * state.v[k] + (1.0 - self.beta2) * tf.square(g)
            new_params[k] = p - lr_t * m[k] / (tf.sqrt(v[k]) + self.epsilon)
        return new_params, AdamState(step, m, v)
