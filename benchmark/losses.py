"""Losses reduced per task: a leading task axis survives, everything else is averaged."""
import tensorflow as tf


def mse(pred: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """Mean squared error over examples and output dims ([..., n, d] -> [...]), as the reference."""
    return tf.reduce_mean(tf.square(pred - y), axis=[-2, -1])
