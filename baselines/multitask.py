"""Multi-task parameter averaging (paper appendix C.1, Table 2).

500 regressors are trained one after another, each from its own random initialisation on its
own task with plenty of data (the paper: each reaches MSE < 0.02), and their weights are
averaged; the average is then fine-tuned at test time with a tuned step size. Three variants:
no regularisation, l2 weight decay, and l2 towards the running mean of the regressors trained
so far.
"""
import dataclasses
import time

import numpy as np
import tensorflow as tf

from benchmark import seeding
from benchmark.algorithms.base import Method
from benchmark.optim import Adam


@dataclasses.dataclass(frozen=True)
class MultitaskConfig:
    regularizer: str = "none"  # "none" | "l2" | "mean"
    weight: float = 0.0  # regularisation strength
    num_regressors: int = 500
    steps: int = 5000  # Adam steps per regressor
    batch_size: int = 100  # points per step, drawn from the task's data set
    data_points: int = 1000  # "a large amount of data" per task
    learning_rate: float = 3e-3
    target_mse: float = 0.02  # the paper's per-regressor quality bar (reported, not enforced)

    def __post_init__(self):
        if self.regularizer not in ("none", "l2", "mean"):
            raise ValueError(f"regularizer must be none, l2 or mean, not {self.regularizer!r}")


class MultitaskAverage(Method):
    name = "multitask"

    def __init__(self, model, loss, config: MultitaskConfig):
        super().__init__(model, loss)
        self.config = config

    def fit(self, params, sample, train_config, run):
        c = self.config
        train_one = self._compile_regressor_training(sample, run.seed)
        mean = {k: tf.zeros_like(v) for k, v in params.items()}
        held_out_mse, t0 = [], time.perf_counter()
        for j in range(c.num_regressors):
            init = self.model.init(seeding.stream("multitask-init", run.seed * 100_003 + j))
            has_mean = tf.constant(j > 0)
            theta, mse = train_one(init, mean, has_mean, tf.constant(j, tf.int64))
            mean = {k: mean[k] + (theta[k] - mean[k]) / (j + 1) for k in mean}
            held_out_mse.append(float(mse))
            if (j + 1) % max(1, c.num_regressors // 10) == 0:
                run.log(f"regressor {j + 1}/{c.num_regressors}  held-out MSE median "
                        f"{np.median(held_out_mse):.4f}  {time.perf_counter() - t0:.0f} s")
        mses = np.array(held_out_mse)
        stats = {
            "iterations": c.num_regressors * c.steps,
            "wall_time_s": round(time.perf_counter() - t0, 2),
            "regressor_mse_median": float(np.median(mses)),
            "regressor_mse_max": float(mses.max()),
            "fraction_below_target": float(np.mean(mses < c.target_mse)),
        }
        curve = [{"step": (j + 1) * c.steps, "meta_loss": float(m)} for j, m in enumerate(mses)]
        return mean, curve, stats

    def _compile_regressor_training(self, sample, seed: int):
        c, optimizer = self.config, Adam(self.config.learning_rate)
        stream = seeding.stream("multitask-tasks", seed)

        def objective(theta, data, mean, has_mean, batch_seed):
            idx = tf.random.stateless_uniform([c.batch_size], batch_seed, 0, c.data_points,
                                              dtype=tf.int32)
            batch = tf.nest.map_structure(lambda t: tf.gather(t, idx, axis=0), data.support)
            loss = self.task_loss(theta, batch, data.info)
            if c.regularizer == "l2":
                loss += c.weight * tf.add_n([tf.reduce_sum(tf.square(v)) for v in theta.values()])
            elif c.regularizer == "mean":
                pull = tf.add_n([tf.reduce_sum(tf.square(theta[k] - mean[k])) for k in theta])
                loss += c.weight * tf.where(has_mean, pull, 0.0)
            return loss

        @tf.function(jit_compile=True)
        def train_one(theta, mean, has_mean, index):
            task = sample(seeding.tf_seed(stream, index), 1, c.data_points, c.data_points)
            data = tf.nest.map_structure(lambda t: t[0], task)  # one task, no task axis
            batch_stream = seeding.stream("multitask-batches", seed)

            def body(step, theta, opt_state):
                batch_seed = tf.stack([tf.cast(batch_stream, tf.int64) + index,
                                       tf.cast(step, tf.int64)])
                with tf.GradientTape() as tape:
                    tape.watch(theta)
                    loss = objective(theta, data, mean, has_mean, batch_seed)
                theta, opt_state = optimizer.update(theta, tape.gradient(loss, theta), opt_state)
                return step + 1, theta, opt_state

            _, theta, _ = tf.while_loop(lambda s, *_: s < c.steps, body,
                                        (tf.constant(0), theta, optimizer.init(theta)))
            return theta, self.task_loss(theta, data.query, data.info)

        return train_one
