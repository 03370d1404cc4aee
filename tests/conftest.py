"""Shared fixtures: tiny float64 problems small enough to check by hand or finite differences."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmark.models import Model  # noqa: E402
from benchmark.models.mlp import mlp  # noqa: E402
from benchmark.tasks.base import Split, Task  # noqa: E402


def float64_mlp(hidden=(4,), dim_in: int = 1) -> Model:
    """The paper's MLP architecture in float64 (tanh-free ReLU nets are piecewise quadratic in
    the meta-gradient, so finite differences need small steps and float64)."""
    base = mlp(dim_in, hidden, 1, init_std=0.5)
    return Model(init=lambda seed: {k: tf.cast(v, tf.float64) for k, v in base.init(seed).items()},
                 apply=base.apply)


@pytest.fixture
def tasks64() -> Task:
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=(3, 12, 1))
    y = np.sin(x) * rng.uniform(0.5, 2, size=(3, 1, 1))
    return Task(Split(tf.constant(x[:, :6]), tf.constant(y[:, :6])),
                Split(tf.constant(x[:, 6:]), tf.constant(y[:, 6:])),
                {"amplitude": tf.constant(rng.uniform(size=3))})
