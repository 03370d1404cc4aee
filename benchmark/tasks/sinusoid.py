"""Sinusoid regression (paper §5.1): y = A·sin(x − φ), A ~ U[0.1, 5], φ ~ U[0, π], x ~ U[−5, 5]."""
import dataclasses
import math

import tensorflow as tf

from benchmark.tasks.base import Split, Task


@dataclasses.dataclass(frozen=True)
class Sinusoid:
    amplitude: tuple[float, float] = (0.1, 5.0)
    phase: tuple[float, float] = (0.0, math.pi)
    x_range: tuple[float, float] = (-5.0, 5.0)

    def sample(self, seed: tf.Tensor, num_tasks: int, shots: int, query_shots: int) -> Task:
        """K support and `query_shots` query points per task, all drawn i.i.d. from x_range.

        One stateless op draws everything, so the tasks are a pure function of `seed`.
        """
        n = shots + query_shots
        u = tf.random.stateless_uniform([num_tasks, n + 2], seed=seed, dtype=tf.float32)
        amplitude = self.amplitude[0] + (self.amplitude[1] - self.amplitude[0]) * u[:, 0]
        phase = self.phase[0] + (self.phase[1] - self.phase[0]) * u[:, 1]
        x = (self.x_range[0] + (self.x_range[1] - self.x_range[0]) * u[:, 2:])[..., None]
        y = self.function(x, amplitude, phase)
        return Task(
            support=Split(x[:, :shots], y[:, :shots]),
            query=Split(x[:, shots:], y[:, shots:]),
            info={"amplitude": amplitude, "phase": phase},
        )

    @staticmethod
    def function(x: tf.Tensor, amplitude: tf.Tensor, phase: tf.Tensor) -> tf.Tensor:
        """y for inputs x [..., n, 1] and per-task parameters of shape [...]."""
        return amplitude[..., None, None] * tf.sin(x - phase[..., None, None])
