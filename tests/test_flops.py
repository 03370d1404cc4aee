"""The speed benchmark's FLOP count: dots and convolutions counted from XLA's optimised HLO."""
import tensorflow as tf

from benchmark import flops


def _count(fn, *args) -> float:
    hlo = tf.function(fn, jit_compile=True).experimental_get_compiler_ir(*args)(
        stage="optimized_hlo")
    return flops.hlo_flops(hlo)


def test_a_batched_matmul_costs_two_flops_per_multiply_add():
    a, b = tf.ones([3, 7, 11]), tf.ones([3, 11, 13])
    assert _count(lambda a, b: tf.matmul(a, b), a, b) == 2 * 3 * 7 * 11 * 13


def test_a_convolution_costs_two_flops_per_kernel_tap_and_input_feature():
    x, w = tf.ones([2, 8, 8, 3]), tf.ones([3, 3, 3, 5])
    same = _count(lambda x, w: tf.nn.conv2d(x, w, 1, "SAME"), x, w)
    assert same == 2 * (2 * 8 * 8 * 5) * (3 * 3 * 3)
    strided = _count(lambda x, w: tf.nn.conv2d(x, w, 2, "SAME"), x, w)
    assert strided == 2 * (2 * 4 * 4 * 5) * (3 * 3 * 3)


def test_a_gradient_counts_its_backward_dots():
    x, w = tf.ones([4, 6]), tf.ones([6, 5])

    def loss_and_grad(x, w):
        with tf.GradientTape() as tape:
            tape.watch(w)
            loss = tf.reduce_sum(tf.matmul(x, w) ** 2)
        return tape.gradient(loss, w)

    assert _count(loss_and_grad, x, w) == 2 * (2 * 4 * 6 * 5)  # forward and dL/dw
