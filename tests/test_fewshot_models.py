"""The conv and MLP classifiers under MAML, in float64: second-order meta-gradients against finite
differences, the im2col (tiled) and native-conv (loop) formulations against each other, batch
norm's conv-bias cancellation and its offsets kept out of the inner loop."""
import numpy as np
import pytest
import tensorflow as tf

from benchmark import losses
from benchmark.algorithms import inner_loop
from benchmark.algorithms.maml import Maml, MamlConfig
from benchmark.models import Model
from benchmark.models.conv import conv4, mlp_bn
from benchmark.models.layers import BN_EPSILON, batch_norm
from benchmark.tasks.base import Split, Task

WAYS, SHOTS = 3, 2


def _float64(model: Model) -> Model:
    return Model(init=lambda seed: {k: tf.cast(v, tf.float64) for k, v in model.init(seed).items()},
                 apply=model.apply, frozen=model.frozen)


MODELS = {
    "strided": lambda: conv4(WAYS, 8, 1, 4, max_pool=False, blocks=2),
    "max_pool": lambda: conv4(WAYS, 8, 1, 4, max_pool=True, blocks=2),
    "mlp": lambda: mlp_bn(WAYS, 64, hidden=(6, 5)),
}


@pytest.fixture
def images64() -> Task:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 2 * WAYS * SHOTS, 8, 8, 1))
    y = np.tile(np.repeat(np.eye(WAYS), SHOTS, axis=0), (2, 2, 1))
    half = WAYS * SHOTS
    return Task(Split(tf.constant(x[:, :half]), tf.constant(y[:, :half])),
                Split(tf.constant(x[:, half:]), tf.constant(y[:, half:])), {})


def _maml(name, formulation="tiled", first_order=False):
    return Maml(_float64(MODELS[name]()), losses.scaled_xent(SHOTS),
                MamlConfig(0.1, 2, first_order, formulation), losses.accuracy)


def _grad(method, params, tasks):
    with tf.GradientTape() as tape:
        tape.watch(params)
        loss = method.training_loss(params, tasks)
    return loss, tape.gradient(loss, params)


@pytest.mark.parametrize("name", list(MODELS))
def test_im2col_and_native_conv_formulations_agree(name, images64):
    tiled, loop = _maml(name, "tiled"), _maml(name, "loop")
    params = tiled.init(0)
    (l1, g1), (l2, g2) = _grad(tiled, params, images64), _grad(loop, params, images64)
    np.testing.assert_allclose(l1, l2, rtol=1e-12)
    for k in params:
        np.testing.assert_allclose(g1[k], g2[k], rtol=1e-9, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("xla", [False, True])
@pytest.mark.parametrize("first_order", [False, True])
def test_the_vectorized_mlp_meta_gradient_through_batch_norm_matches_the_tiled_one(
        images64, xla, first_order):
    """tf.vectorized_map through batch norm's batch statistics, differentiated twice, in float64:
    where torch.func's vmap goes wrong (issue 4), and the form the Omniglot MLP trains with."""
    tiled, vectorized = _maml("mlp", "tiled", first_order), _maml("mlp", "vectorized", first_order)
    params = tiled.init(0)
    grad = tf.function(lambda p: _grad(vectorized, p, images64), jit_compile=True) if xla else (
        lambda p: _grad(vectorized, p, images64))
    (l1, g1), (l2, g2) = _grad(tiled, params, images64), grad(params)
    np.testing.assert_allclose(l1, l2, rtol=1e-12)
    for k in params:
        np.testing.assert_allclose(g1[k], g2[k], rtol=1e-9, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("name", list(MODELS))
def test_fused_batch_norm_matches_the_float64_reference(name, images64):
    """The loop form in float32 with TF's fused batch-norm kernel (what `onednn: true` runs)
    gives the second-order meta-gradient of the float64 composite form."""
    fused_model = {"strided": lambda: conv4(WAYS, 8, 1, 4, False, 2, fused_batch_norm=True),
                   "max_pool": lambda: conv4(WAYS, 8, 1, 4, True, 2, fused_batch_norm=True),
                   "mlp": lambda: mlp_bn(WAYS, 64, (6, 5), fused_batch_norm=True)}[name]()
    fused = Maml(fused_model, losses.scaled_xent(SHOTS), MamlConfig(0.1, 2, False, "loop"))
    reference = _maml(name)
    params = reference.init(0)
    tasks32 = tf.nest.map_structure(lambda t: tf.cast(t, tf.float32), images64)
    l64, g64 = _grad(reference, params, images64)
    l32, g32 = _grad(fused, {k: tf.cast(v, tf.float32) for k, v in params.items()}, tasks32)
    np.testing.assert_allclose(l32, l64, rtol=1e-5)
    for k in params:
        scale = float(tf.reduce_max(tf.abs(g64[k])))
        if k.endswith("/b") and not k.startswith("out"):
            assert float(tf.reduce_max(tf.abs(g32[k]))) < 1e-5, k  # cancelled by batch norm
            continue
        np.testing.assert_allclose(g32[k], g64[k], rtol=0, atol=1e-4 * scale + 1e-7, err_msg=k)


def _batch_norm_formula(x, beta, axes):
    """Batch norm as plain TF ops, for autodiff to differentiate."""
    mean = tf.reduce_mean(x, axis=axes, keepdims=True)
    var = tf.reduce_mean(tf.square(x - mean), axis=axes, keepdims=True)
    beta = tf.reshape(beta, beta.shape[:-1].as_list() + [1] * len(axes) + beta.shape[-1:].as_list())
    return (x - mean) / tf.sqrt(var + BN_EPSILON) + beta


@pytest.mark.parametrize("shape, axes, beta_shape", [
    ((4, 3, 3, 2), [-4, -3, -2], (2,)),  # images
    ((2, 4, 3, 3, 2), [-4, -3, -2], (2, 2)),  # images with a task axis and per-task offsets
    ((2, 4, 3, 3, 2), [-4, -3, -2], (2,)),  # images with a task axis and shared offsets
    ((5, 3), [-2], (3,))])  # vectors
def test_batch_norms_written_out_derivatives_are_autodiffs_of_its_formula(shape, axes, beta_shape):
    """First and second derivatives (the VJP, then the VJP of the VJP in x and in the cotangent),
    in float64, with a loss that weighs every output differently."""
    rng = np.random.default_rng(0)
    x, beta = tf.constant(rng.normal(size=shape)), tf.constant(rng.normal(size=beta_shape))
    w, u = tf.constant(rng.normal(size=shape)), tf.constant(rng.normal(size=shape))

    def derivatives(f):
        with tf.GradientTape(persistent=True) as outer:
            outer.watch([x, beta, w])
            with tf.GradientTape() as inner:
                inner.watch([x, beta])
                y = f(x, beta, axes)
                loss = tf.reduce_sum(w * y)
            dx, dbeta = inner.gradient(loss, [x, beta])
            second = tf.reduce_sum(u * dx)
        return [y, dx, dbeta, *outer.gradient(second, [x, w])]

    formula = derivatives(_batch_norm_formula)
    for ours, reference in zip(derivatives(batch_norm), formula, strict=True):
        np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-12)
    # the bias of the layer before, which batch norm cancels: the same function of x, and an
    # exact zero gradient (where the formula, adding it, has rounding noise)
    bias = tf.constant(rng.normal(size=beta_shape))
    with tf.GradientTape() as tape:
        tape.watch(bias)
        y = batch_norm(x, beta, axes, bias=bias)
        loss = tf.reduce_sum(w * y)
    per_channel = tf.reshape(bias, [*beta_shape[:-1], *[1] * len(axes), beta_shape[-1]])
    np.testing.assert_allclose(y, _batch_norm_formula(x + per_channel, beta, axes), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_array_equal(tape.gradient(loss, bias), np.zeros(beta_shape))

    if len(shape) == len(axes) + 1:  # no task axis: TF's fused kernels (float32 only) for the forward
        # and the first derivative, the second written out
        x, beta, w, u = (tf.cast(t, tf.float32) for t in (x, beta, w, u))
        fused = derivatives(lambda x, beta, axes: batch_norm(x, beta, axes, fused=True))
        for ours, reference in zip(fused, formula, strict=True):
            scale = float(tf.reduce_max(tf.abs(reference)))
            np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-5 * scale)


def test_batch_norms_third_derivative_is_refused_not_wrong():
    x = tf.constant(np.random.default_rng(0).normal(size=(4, 3)))
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.reduce_sum(batch_norm(x, tf.zeros([3], tf.float64), [-2]) ** 3)
            g1 = tf.reduce_sum(t1.gradient(y, x) ** 2)
        g2 = tf.reduce_sum(t2.gradient(g1, x))  # the second derivative is fine
    with pytest.raises(NotImplementedError, match="at most twice"):
        t3.gradient(g2, x)


@pytest.mark.parametrize("name", ["strided", "mlp"])
def test_second_order_gradient_matches_finite_differences(name, images64):
    method = _maml(name)
    params = method.init(0)
    _, analytic = _grad(method, params, images64)
    eps, rng = 1e-6, np.random.default_rng(1)
    for key in params:
        if key.endswith("/b") and not key.startswith("out"):
            continue  # cancelled by batch norm: checked on its own below
        for _ in range(2):
            idx = tuple(rng.integers(0, d) for d in params[key].shape)
            delta = np.zeros(params[key].shape)
            delta[idx] = eps
            loss = lambda sign, key=key, delta=delta: method.training_loss(
                {**params, key: params[key] + sign * delta}, images64)
            numeric = (loss(1) - loss(-1)) / (2 * eps)
            np.testing.assert_allclose(analytic[key].numpy()[idx], numeric.numpy(),
                                       rtol=1e-5, atol=1e-9, err_msg=key)


@pytest.mark.parametrize("name", ["strided", "max_pool"])
def test_conv_bias_before_batch_norm_gets_no_gradient(name, images64):
    method = _maml(name)
    params = method.init(0)
    _, grads = _grad(method, params, images64)
    for k in params:
        if k.startswith("conv") and k.endswith("/b"):
            assert float(tf.reduce_max(tf.abs(grads[k]))) < 1e-12, k
    assert float(tf.reduce_max(tf.abs(grads["bn0/beta"]))) > 1e-6  # the outer loop trains it


def test_batch_norm_offsets_are_not_adapted_in_the_inner_loop(images64):
    method = _maml("strided")
    params = inner_loop.tile(method.init(0), 2)
    fast = inner_loop.adapt(method.task_loss, params, images64.support, {}, 0.1, 1,
                            keys=method.inner_keys(params))[-1]
    assert "bn0/beta" not in method.inner_keys(params)
    np.testing.assert_array_equal(fast["bn0/beta"], params["bn0/beta"])
    assert float(tf.reduce_max(tf.abs(fast["conv0/w"] - params["conv0/w"]))) > 0


def test_first_order_differs_from_second_order(images64):
    params = _maml("strided").init(0)
    _, so = _grad(_maml("strided"), params, images64)
    _, fo = _grad(_maml("strided", first_order=True), params, images64)
    assert max(float(tf.reduce_max(tf.abs(so[k] - fo[k]))) for k in params) > 1e-6


def test_scaled_xent_is_n_times_the_mean_on_a_support_set():
    logits = tf.constant(np.random.default_rng(0).normal(size=(2, WAYS * SHOTS, WAYS)))
    y = tf.constant(np.tile(np.repeat(np.eye(WAYS), SHOTS, axis=0), (2, 1, 1)))
    mean_ce = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y, logits), axis=-1)
    np.testing.assert_allclose(losses.scaled_xent(SHOTS)(logits, y), WAYS * mean_ce, rtol=1e-12)
    assert losses.accuracy(tf.constant(y) * 3, y).numpy().tolist() == [1.0, 1.0]


def test_context_vector_on_images_adapts_only_its_extra_channels(images64):
    from baselines.context_vector import ContextVector

    model = _float64(conv4(WAYS, 8, 1 + 2, 4, max_pool=False, blocks=2))
    method = ContextVector(model, losses.scaled_xent(SHOTS), MamlConfig(0.1, 1), (8, 8, 2),
                           metric=losses.accuracy)
    params = {k: tf.cast(v, tf.float64) for k, v in method.init(0).items()}
    assert params["z"].shape == (8, 8, 2) and method.inner_keys(params) == ["z"]
    tiled = inner_loop.tile(params, 2)
    fast = inner_loop.adapt(method.task_loss, tiled, images64.support, {}, 0.1, 1,
                            keys=method.inner_keys(tiled))[-1]
    assert float(tf.reduce_max(tf.abs(fast["z"] - tiled["z"]))) > 0
    np.testing.assert_array_equal(fast["conv0/w"], tiled["conv0/w"])
    _, grads = _grad(method, params, images64)
    assert float(tf.reduce_max(tf.abs(grads["conv0/w"]))) > 0  # the outer loop trains the net
