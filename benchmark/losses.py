"""Losses reduced per task: a leading task axis survives, everything else is averaged."""
import tensorflow as tf


def mse(pred: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """Mean squared error over examples and output dims ([..., n, d] -> [...]), as the reference."""
    return tf.reduce_mean(tf.square(pred - y), axis=[-2, -1])


def scaled_xent(shots: int):
    """Softmax cross-entropy summed over examples and divided by the support shots K, per task.

    This is the reference's classification loss (cbfinn/maml `xent(...) / update_batch_size`,
    then `tf.gradients` sums the vector): on a support set of N·K examples it is N × the mean CE,
    so the paper's step sizes (0.4 for Omniglot 5-way) carry over unchanged. y is one-hot.
    """
    def loss(logits: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        ce = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits)
        return tf.reduce_sum(ce, axis=-1) / shots

    return loss


def accuracy(logits: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """Fraction of examples whose arg-max logit is the one-hot label, per task."""
    hit = tf.equal(tf.argmax(logits, axis=-1), tf.argmax(y, axis=-1))
    return tf.reduce_mean(tf.cast(hit, tf.float32), axis=-1)
