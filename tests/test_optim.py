"""Our Adam matches TF1's AdamOptimizer (the reference's meta-optimiser, epsilon 1e-8)."""
import numpy as np
import tensorflow as tf

from benchmark.optim import Adam


def test_adam_matches_tf1_adam_optimizer():
    rng = np.random.default_rng(0)
    init = rng.normal(size=(3, 2)).astype(np.float32)
    grads = [rng.normal(size=(3, 2)).astype(np.float32) for _ in range(5)]

    ours, opt = {"w": tf.constant(init)}, Adam(learning_rate=0.01)
    state = opt.init(ours)
    for g in grads:
        ours, state = opt.update(ours, {"w": tf.constant(g)}, state)

    var = tf.Variable(init)
    tf1 = tf.compat.v1.train.AdamOptimizer(0.01, beta1=0.9, beta2=0.999, epsilon=1e-8)
    for g in grads:
        tf1.apply_gradients([(tf.constant(g), var)])
    np.testing.assert_allclose(ours["w"], var.numpy(), rtol=2e-6, atol=1e-7)


def test_clipping_bounds_each_gradient_entry():
    opt = Adam(learning_rate=1.0, clip_value=0.5)
    params = {"w": tf.constant([0.0, 0.0])}
    state = opt.init(params)
    _, state = opt.update(params, {"w": tf.constant([100.0, -0.1])}, state)
    np.testing.assert_allclose(state.m["w"], [0.05, -0.01], rtol=1e-6)
