"""Pretrained on all tasks, then fine-tuned (paper §5.1, "pretrain on all tasks").

As `--pretrain_iterations` in cbfinn/maml: Adam on the *pre-update* loss of the support sets of
each meta-batch, one shared network. At test time it is fine-tuned by gradient descent with a
step size tuned on validation tasks.
"""
import tensorflow as tf

from benchmark.algorithms.base import Method


class Pretrained(Method):
    name = "pretrained"

    def training_loss(self, params, tasks):
        return tf.reduce_mean(self.task_loss(params, tasks.support, tasks.info))
