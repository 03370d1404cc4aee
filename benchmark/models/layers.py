"""Layers for functional models whose weights may carry a leading task axis.

Shapes: examples are [..., B, H, W, C] (images) or [..., B, D] (vectors); a weight either has no
task axis (shared by every task) or one leading task axis T matching the data's. Convolution with
per-task kernels is im2col + batched matmul: XLA compiles it well on CPU, and its first and
second derivatives are plain slices, pads and matmuls (no grouped convolutions, which CPU
kernels do not support in float64 and which are 10-60x slower under XLA).
"""
import tensorflow as tf

BN_EPSILON = 1e-3  # tf.contrib.layers.batch_norm's default, as the reference


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """TensorFlow's SAME padding: (output size, pad before, pad after) along one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


def conv2d(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | None, stride: int) -> tf.Tensor:
    """SAME convolution of x [..., B, H, W, Cin] with w [(T,) k, k, Cin, F] plus bias b [(T,) F]
    (None: no bias)."""
    if w.shape.rank == 4:  # shared kernel: the native convolution (fastest outside XLA)
        lead = tf.shape(x)[:-3]
        flat = tf.reshape(x, tf.concat([[-1], tf.shape(x)[-3:]], 0))
        y = tf.nn.conv2d(flat, w, strides=stride, padding="SAME")
        y = tf.reshape(y, tf.concat([lead, tf.shape(y)[1:]], 0))
        return y if b is None else y + b
    k, _, cin, f = w.shape[-4:]
    t, n, h, wd = x.shape[0], x.shape[1], x.shape[-3], x.shape[-2]
    oh, top, bottom = same_padding(h, k, stride)
    ow, left, right = same_padding(wd, k, stride)
    padded = tf.pad(x, [[0, 0], [0, 0], [top, bottom], [left, right], [0, 0]])
    # im2col: k*k strided windows, concatenated in (row, column, channel) order as w's layout.
    cols = [padded[:, :, i : i + stride * (oh - 1) + 1 : stride, j : j + stride * (ow - 1) + 1 : stride]
            for i in range(k) for j in range(k)]
    patches = tf.reshape(tf.concat(cols, axis=-1), [t, n * oh * ow, k * k * cin])
    y = tf.reshape(tf.matmul(patches, tf.reshape(w, [t, k * k * cin, f])), [t, n, oh, ow, f])
    return y if b is None else y + b[:, None, None, None, :]


def dense(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | None) -> tf.Tensor:
    """x [..., B, D] @ w [(T,) D, F] + b [(T,) F] (None: no bias)."""
    y = tf.matmul(x, w)
    return y if b is None else y + b[..., None, :]


def batch_norm(x: tf.Tensor, beta: tf.Tensor, axes: list[int], fused: bool = False,
               bias: tf.Tensor | None = None) -> tf.Tensor:
    """Normalise with the statistics of the current batch (no running averages), then add the
    offset beta [(T,) C]; no scale (tf.contrib's scale=False default). `axes` are the reduced
    axes counted from the end, e.g. [-4, -3, -2] for images: examples, rows, columns.

    `bias`: the bias [(T,) C] of the layer before, which the mean cancels exactly: the output
    does not depend on it, so it is not added and its gradient is an exact zero (the models keep
    it as the reference has it). The fused kernel is given x + bias.

    Its first and second derivatives are written out (`_normalize`), exact: MAML differentiates
    batch norm twice, and TensorFlow's autodiff of the formula, differentiated again, made 12,000
    of the 18,200 small ops of an Omniglot 5-way 1-shot meta-iteration; written out (and the bias
    not added), the meta-iteration is 12,600 ops (README). Tests check both derivatives against
    autodiff of the formula in float64, and the meta-gradient against finite differences. The
    variance is the mean's full function: `tf.nn.moments`, which the reference's tf.contrib batch
    norm is built on, stops the gradient through the mean inside the variance, which leaves first
    derivatives exact (the term sums to zero) but makes MAML's second-order meta-gradient wrong by
    several percent.

    `fused`: when x has no task axis and is float32, the same function runs as TF's fused
    batch-norm kernel, whose first and second derivatives are exact too (tests/
    test_fewshot_models.py checks it against the float64 form), though through 5 unrolled inner
    steps its float32 rounding drifts further than the composite's (README). With oneDNN it is
    3x faster on MiniImageNet's 84x84 maps; on Omniglot's small maps under Eigen its second
    derivative is slower than the composite's (results/speed/), and under oneDNN on 20-way
    1-shot too."""
    if fused and x.dtype == tf.float32 and beta.shape.rank == 1 and (
            x.shape.rank == len(axes) + 1 in (2, 4)):
        return _fused_batch_norm(x if bias is None else x + bias, beta)
    beta = tf.reshape(beta, beta.shape[:-1].as_list() + [1] * len(axes) + beta.shape[-1:].as_list())
    return _normalize(x, axes, bias) + beta


def _normalize(x: tf.Tensor, axes: list[int], bias: tf.Tensor | None = None) -> tf.Tensor:
    """x̂ = (x - mean) · r, r = (var + eps)^(-1/2), over `axes`, with hand-written derivatives.

    Per channel, over its N entries, with m(t) the mean of t:
      backward (the VJP of a cotangent dy):  dx = r·(dy - m(dy) - x̂·m(dy·x̂))
    and the VJP of (x, dy) -> dx, for a cotangent u of dx (what an outer tape needs):
      to dy:  r·(u - m(u) - x̂·m(u·x̂))                    (the Jacobian is symmetric)
      to x:   -r²·x̂·(m(u·dy) - m(u)·m(dy) - m(dy·x̂)·m(u·x̂)) - r·(m(u·x̂)·dx + m(dy·x̂)·u_dy)
    where u_dy is the line above. Third derivatives are not written out, and asking for one
    raises rather than return a wrong one. `bias`, if given, is x's bias: x̂ of x + bias is x̂ of
    x, so it is not added, and its gradient is zero."""
    def mean(t):
        return tf.reduce_mean(t, axis=axes, keepdims=True)

    @tf.custom_gradient
    def normalize(x, *bias):  # bias: () or (x's bias,)
        centered = x - mean(x)
        r = tf.math.rsqrt(mean(tf.square(centered)) + BN_EPSILON)
        xhat = centered * r

        @tf.custom_gradient
        def backward(x, dy):  # x: an input so that an outer tape differentiates through it
            m_dy, m_dy_xhat = mean(dy), mean(dy * xhat)
            dx = r * (dy - m_dy - xhat * m_dy_xhat)

            @tf.custom_gradient
            def second(u):
                m_u, m_u_xhat = mean(u), mean(u * xhat)
                u_dy = r * (u - m_u - xhat * m_u_xhat)
                u_x = (-(r * r) * xhat * (mean(u * dy) - m_u * m_dy - m_dy_xhat * m_u_xhat)
                       - r * (m_u_xhat * dx + m_dy_xhat * u_dy))
                return (u_x, u_dy), _no_third_derivative
            return dx, second

        def grad(dy):
            return (backward(x, dy), *(tf.zeros_like(b) for b in bias))
        return xhat, grad

    return normalize(x, *(() if bias is None else (bias,)))


def _no_third_derivative(*_):
    raise NotImplementedError("batch norm's third derivative is not written out "
                              "(benchmark.models.layers._normalize): differentiate it at most twice")


def _fused_batch_norm(x: tf.Tensor, beta: tf.Tensor) -> tf.Tensor:
    """Batch norm over every axis but the last, with batch statistics and no scale."""
    x4 = x if x.shape.rank == 4 else x[:, None, None, :]
    y = tf.raw_ops.FusedBatchNormV3(
        x=x4, scale=tf.ones_like(beta), offset=beta, mean=tf.zeros([0]), variance=tf.zeros([0]),
        epsilon=BN_EPSILON, is_training=True)[0]
    return y if x.shape.rank == 4 else y[:, 0, 0, :]
