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
    it as the reference has it).

    Its first and second derivatives are written out (`_normalize`), exact: MAML differentiates
    batch norm twice, and TensorFlow's autodiff of the formula, differentiated again, made 12,000
    of the 18,200 small ops of an Omniglot 5-way 1-shot meta-iteration; written out (and the bias
    not added), the meta-iteration is 12,600 ops (README). Tests check both derivatives against
    autodiff of the formula in float64, and the meta-gradient against finite differences. The
    variance is the mean's full function: `tf.nn.moments`, which the reference's tf.contrib batch
    norm is built on, stops the gradient through the mean inside the variance, which leaves first
    derivatives exact (the term sums to zero) but makes MAML's second-order meta-gradient wrong by
    several percent.

    `fused`: when x has no task axis and is float32, the forward and the first derivative run as
    TF's fused batch-norm kernels (one op each), and the second derivative is the same written-out
    one (TF's own second derivative of the fused kernel was slower and further from float64).
    With oneDNN it is 3x faster on MiniImageNet's 84x84 maps; on Omniglot's small maps the
    composite is faster under Eigen (5-way 1-shot), and nearer float64 under oneDNN through 20-way
    1-shot's 5 unrolled inner steps (README)."""
    fused = fused and x.dtype == tf.float32 and beta.shape.rank == 1 and (
        x.shape.rank == len(axes) + 1 in (2, 4))
    return _normalize(x, beta, axes, bias, fused)


def _normalize(x: tf.Tensor, beta: tf.Tensor, axes: list[int], bias: tf.Tensor | None = None,
               fused: bool = False) -> tf.Tensor:
    """x̂ + beta, x̂ = (x - mean) · r, r = (var + eps)^(-1/2), over `axes`, with hand-written
    derivatives; `fused`: the forward and the first derivative are TF's fused kernels.

    Per channel, over its N entries, with m(t) the mean of t:
      backward (the VJP of a cotangent dy):  dx = r·(dy - m(dy) - x̂·m(dy·x̂)),  dbeta = N·m(dy)
    and the VJP of (x, dy) -> dx, for a cotangent u of dx (what an outer tape needs):
      to dy:  r·(u - m(u) - x̂·m(u·x̂))                    (the Jacobian is symmetric)
      to x:   -r²·x̂·(m(u·dy) - m(u)·m(dy) - m(dy·x̂)·m(u·x̂)) - r·(m(u·x̂)·dx + m(dy·x̂)·u_dy)
    where u_dy is the line above (dbeta is linear in dy: autodiff differentiates it). Third
    derivatives are not written out, and asking for one raises rather than return a wrong one.
    `bias`, if given, is x's bias: x̂ of x + bias is x̂ of x, so it is not added, and its gradient
    is zero."""
    def mean(t):
        return tf.reduce_mean(t, axis=axes, keepdims=True)

    as4, from4 = (lambda t: t[:, None, None, :], lambda t: t[:, 0, 0, :]) if (
        fused and x.shape.rank == 2) else (lambda t: t, lambda t: t)  # the kernels take 4-D

    @tf.custom_gradient
    def normalize(x, beta, *bias):  # bias: () or (x's bias,)
        if fused:
            ones = tf.ones_like(beta)
            y, _, _, *saved = tf.raw_ops.FusedBatchNormV3(
                x=as4(x), scale=ones, offset=beta, mean=tf.zeros([0]), variance=tf.zeros([0]),
                epsilon=BN_EPSILON, is_training=True)
            y = from4(y)

            def statistics():  # x̂ and r, which only the second derivative needs
                centered = x - saved[0]  # the batch mean
                r = tf.math.rsqrt(mean(tf.square(centered)) + BN_EPSILON)
                return centered * r, r

            def first(dy):  # dx, and m(dy), m(dy·x̂) for the second derivative
                dx = tf.raw_ops.FusedBatchNormGradV3(
                    y_backprop=as4(dy), x=as4(x), scale=ones, reserve_space_1=saved[0],
                    reserve_space_2=saved[1], reserve_space_3=saved[2], epsilon=BN_EPSILON,
                    is_training=True)[0]
                return from4(dx), lambda xhat: (mean(dy), mean(dy * xhat))
        else:
            centered = x - mean(x)
            r = tf.math.rsqrt(mean(tf.square(centered)) + BN_EPSILON)
            xhat = centered * r
            y = xhat + tf.reshape(
                beta, beta.shape[:-1].as_list() + [1] * len(axes) + beta.shape[-1:].as_list())

            def statistics():
                return xhat, r

            def first(dy):
                moments = mean(dy), mean(dy * xhat)
                return r * (dy - moments[0] - xhat * moments[1]), lambda _: moments

        @tf.custom_gradient
        def backward(x, dy):  # x: an input so that an outer tape differentiates through it
            dx, moments = first(dy)

            @tf.custom_gradient
            def second(u):
                xhat, r = statistics()
                m_dy, m_dy_xhat = moments(xhat)
                m_u, m_u_xhat = mean(u), mean(u * xhat)
                u_dy = r * (u - m_u - xhat * m_u_xhat)
                u_x = (-(r * r) * xhat * (mean(u * dy) - m_u * m_dy - m_dy_xhat * m_u_xhat)
                       - r * (m_u_xhat * dx + m_dy_xhat * u_dy))
                return (u_x, u_dy), _no_third_derivative
            return dx, second

        def grad(dy):  # beta's: summed over the normalised axes and the leading ones it lacks
            shared = x.shape.rank - len(axes) - beta.shape.rank
            dbeta = tf.reduce_sum(dy, axis=[*range(shared), *axes])
            return (backward(x, dy), dbeta, *(tf.zeros_like(b) for b in bias))
        return y, grad

    return normalize(x, beta, *(() if bias is None else (bias,)))


def _no_third_derivative(*_):
    raise NotImplementedError("batch norm's third derivative is not written out "
                              "(benchmark.models.layers._normalize): differentiate it at most twice")
