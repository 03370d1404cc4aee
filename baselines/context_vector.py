"""Context-vector adaptation ("Rei '15", paper appendix C.2).

Free parameters z are concatenated to the input and the inner gradient steps modify only z,
not the network. Meta-training is MAML's with the inner loop restricted to z; z's initial value
is meta-learned too. Initialisation: Xavier, as the reference's removed code. z has the shape of
one example's trailing axes with its own last axis: [5] for the regressor's input vector (the
reference's FC context), [H, W, c] for images (c extra input channels, as its conv context).
"""
import math

import tensorflow as tf

from benchmark.algorithms.maml import Maml


class ContextVector(Maml):
    name = "context_vector"
    adapted_keys = ("z",)

    def __init__(self, model, loss, config, context_shape: tuple[int, ...], metric=None):
        super().__init__(model, loss, config, metric)
        self.context_shape = tuple(context_shape)

    def init(self, seed):
        size = math.prod(self.context_shape)
        limit = math.sqrt(6.0 / (1 + size))  # Xavier-uniform for a [1, size] variable
        z = tf.random.stateless_uniform(self.context_shape, [seed, 1_000], -limit, limit)
        return {**self.model.init(seed), "z": z}

    def predict(self, params, x, info):
        # [..., 1, *context_shape]: broadcast over the examples axis (and a task axis if any).
        z = tf.expand_dims(params["z"], axis=-len(self.context_shape) - 1)
        z = tf.broadcast_to(z, tf.concat([tf.shape(x)[:-1], self.context_shape[-1:]], 0))
        network = {k: v for k, v in params.items() if k != "z"}
        return self.model.apply(network, tf.concat([x, z], axis=-1))
