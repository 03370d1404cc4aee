"""Context-vector adaptation ("Rei '15", paper appendix C.2).

Free parameters z are concatenated to the input and the inner gradient steps modify only z,
not the network. Meta-training is MAML's with the inner loop restricted to z; z's initial value
is meta-learned too. Initialisation: Xavier, as the reference's removed code.
"""
import math

import tensorflow as tf

from benchmark.algorithms.maml import Maml


class ContextVector(Maml):
    name = "context_vector"
    adapted_keys = ("z",)

    def __init__(self, model, loss, config, context_dim: int):
        super().__init__(model, loss, config)
        self.context_dim = context_dim

    def init(self, seed):
        limit = math.sqrt(6.0 / (1 + self.context_dim))  # Xavier-uniform for a [1, dim] variable
        z = tf.random.stateless_uniform([self.context_dim], [seed, 1_000], -limit, limit)
        return {**self.model.init(seed), "z": z}

    def predict(self, params, x, info):
        z = params["z"][..., None, :]  # [..., 1, dim], broadcast over the examples
        z = tf.broadcast_to(z, tf.concat([tf.shape(x)[:-1], [self.context_dim]], 0))
        network = {k: v for k, v in params.items() if k != "z"}
        return self.model.apply(network, tf.concat([x, z], axis=-1))
