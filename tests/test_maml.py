"""MAML's meta-gradient: second order against finite differences, first order against the
query gradient at the adapted weights, and every formulation (eager and under XLA) against the
tiled one."""
import numpy as np
import pytest
import tensorflow as tf

from baselines.context_vector import ContextVector
from benchmark import losses
from benchmark.algorithms import inner_loop
from benchmark.algorithms.maml import Maml, MamlConfig
from tests.conftest import float64_mlp


def _grad(method, params, tasks):
    with tf.GradientTape() as tape:
        tape.watch(params)
        loss = method.training_loss(params, tasks)
    return tape.gradient(loss, params)


def test_second_order_gradient_matches_finite_differences(tasks64):
    method = Maml(float64_mlp(), losses.mse, MamlConfig(inner_lr=0.3, inner_steps=2))
    params = method.init(0)
    analytic = _grad(method, params, tasks64)
    eps, rng = 1e-6, np.random.default_rng(1)
    for key in params:
        for _ in range(3):  # three random coordinates per tensor
            idx = tuple(rng.integers(0, d) for d in params[key].shape)
            delta = np.zeros(params[key].shape)
            delta[idx] = eps
            shifted = lambda sign, key=key, delta=delta: {
                **params, key: params[key] + sign * delta}
            numeric = (method.training_loss(shifted(1), tasks64)
                       - method.training_loss(shifted(-1), tasks64)) / (2 * eps)
            np.testing.assert_allclose(analytic[key].numpy()[idx], numeric.numpy(),
                                       rtol=1e-5, atol=1e-9)


def test_second_order_differs_from_first_order(tasks64):
    params = Maml(float64_mlp(), losses.mse, MamlConfig()).init(0)
    so = _grad(Maml(float64_mlp(), losses.mse, MamlConfig(0.3, 2)), params, tasks64)
    fo = _grad(Maml(float64_mlp(), losses.mse, MamlConfig(0.3, 2, first_order=True)), params,
               tasks64)
    assert max(float(tf.reduce_max(tf.abs(so[k] - fo[k]))) for k in params) > 1e-4


def test_first_order_gradient_is_query_gradient_at_adapted_weights(tasks64):
    config = MamlConfig(inner_lr=0.3, inner_steps=2, first_order=True)
    method = Maml(float64_mlp(), losses.mse, config)
    params = method.init(0)
    fomaml = _grad(method, params, tasks64)
    expected = {k: tf.zeros_like(v) for k, v in params.items()}
    num_tasks = tasks64.support.x.shape[0]
    for i in range(num_tasks):
        task = tf.nest.map_structure(lambda t, i=i: t[i], tasks64)
        fast = inner_loop.adapt(method.task_loss, params, task.support, task.info,
                                config.inner_lr, config.inner_steps)[-1]
        fast = {k: tf.constant(v.numpy()) for k, v in fast.items()}  # a fresh leaf
        with tf.GradientTape() as tape:
            tape.watch(fast)
            q = method.task_loss(fast, task.query, task.info)
        g = tape.gradient(q, fast)
        expected = {k: expected[k] + g[k] / num_tasks for k in params}
    for k in params:
        np.testing.assert_allclose(fomaml[k], expected[k], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("first_order", [False, True])
@pytest.mark.parametrize("formulation", ["loop", "vectorized"])
def test_every_formulation_agrees_with_the_tiled_one(tasks64, formulation, first_order):
    tiled = Maml(float64_mlp(), losses.mse, MamlConfig(0.3, 2, first_order, "tiled"))
    other = Maml(float64_mlp(), losses.mse, MamlConfig(0.3, 2, first_order, formulation))
    params = tiled.init(0)
    np.testing.assert_allclose(tiled.training_loss(params, tasks64),
                               other.training_loss(params, tasks64), rtol=1e-12)
    g_tiled, g_other = _grad(tiled, params, tasks64), _grad(other, params, tasks64)
    for k in params:
        np.testing.assert_allclose(g_tiled[k], g_other[k], rtol=1e-10, atol=1e-14)


def test_the_vectorized_meta_gradient_under_xla_matches_the_tiled_one(tasks64):
    tiled = Maml(float64_mlp(), losses.mse, MamlConfig(0.3, 2, formulation="tiled"))
    vectorized = Maml(float64_mlp(), losses.mse, MamlConfig(0.3, 2, formulation="vectorized"))
    params = tiled.init(0)
    compiled = tf.function(lambda p: _grad(vectorized, p, tasks64), jit_compile=True)(params)
    expected = _grad(tiled, params, tasks64)
    for k in params:
        np.testing.assert_allclose(compiled[k], expected[k], rtol=1e-10, atol=1e-14)


def test_an_unknown_formulation_is_refused():
    with pytest.raises(ValueError, match="vectorized"):
        MamlConfig(formulation="vmap")


def test_eager_and_compiled_meta_loss_agree(tasks64):
    method = Maml(float64_mlp(), losses.mse, MamlConfig(0.3, 1))
    params = method.init(0)
    compiled = tf.function(method.training_loss, jit_compile=True)
    np.testing.assert_allclose(method.training_loss(params, tasks64), compiled(params, tasks64),
                               rtol=1e-10)


def test_adapt_on_a_key_subset_leaves_the_rest_unchanged(tasks64):
    method = Maml(float64_mlp(), losses.mse, MamlConfig())
    params = inner_loop.tile(method.init(0), 3)
    trajectory = inner_loop.adapt(method.task_loss, params, tasks64.support, tasks64.info, 0.1,
                                  2, keys=["b0"])
    assert len(trajectory) == 3
    np.testing.assert_array_equal(trajectory[-1]["w0"], params["w0"])
    assert not np.allclose(trajectory[-1]["b0"], params["b0"])


def test_the_context_vector_baseline_vectorizes_too(tasks64):
    # Only z adapts, and z is broadcast over each task's examples: a different inner loop shape.
    methods = [ContextVector(float64_mlp(dim_in=1 + 3), losses.mse,
                             MamlConfig(0.3, 2, formulation=f), (3,))
               for f in ("tiled", "vectorized")]
    params = {k: tf.cast(v, tf.float64) for k, v in methods[0].init(0).items()}
    g_tiled, g_vectorized = (_grad(m, params, tasks64) for m in methods)
    for k in params:
        np.testing.assert_allclose(g_tiled[k], g_vectorized[k], rtol=1e-10, atol=1e-14)
