"""The paper's few-shot classifiers (§5.2): the 4-block conv net and the non-conv MLP.

Both follow cbfinn/maml: batch norm from the current batch's statistics with an offset and no
scale, ReLU, and offsets that only the outer optimiser trains (`Model.frozen`). Batch statistics
are used at test time too: evaluation is transductive, as the reference's and the paper's are.
"""
import math

import tensorflow as tf

from benchmark.models import Model, Params
from benchmark.models.layers import batch_norm, conv2d, dense

IMAGE_AXES = [-4, -3, -2]  # examples, rows, columns
VECTOR_AXES = [-2]  # examples


def _glorot_uniform(shape, fan_in: int, fan_out: int, seed) -> tf.Tensor:
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return tf.random.stateless_uniform(shape, seed, -limit, limit)


def conv4(ways: int, image_size: int, channels: int, filters: int, max_pool: bool,
          blocks: int = 4, fused_batch_norm: bool = False) -> Model:
    """`blocks` × [3×3 conv, batch norm, ReLU] then a linear layer to `ways` logits.

    max_pool=False (Omniglot): stride-2 convs, then the spatial mean -> `filters` features.
    max_pool=True (MiniImageNet): stride-1 convs each followed by 2×2 VALID max-pool, then the
    flattened map (5·5·32 = 800 features at 84×84). Init as the reference: Xavier-uniform
    kernels, zero biases, final weights normal(std 1). The conv bias is kept although batch norm
    cancels it, as in the reference; batch norm takes it as its input's bias and gives it its
    exact zero gradient (a test checks it) instead of adding it.
    `fused_batch_norm`: see `layers.batch_norm` (the same function, other kernels).
    """
    size = image_size
    for _ in range(blocks):
        size = size // 2 if max_pool else -(-size // 2)
    features = filters * size * size if max_pool else filters

    def init(seed: int) -> Params:
        params, cin = {}, channels
        for i in range(blocks):
            params[f"conv{i}/w"] = _glorot_uniform([3, 3, cin, filters], 9 * cin, 9 * filters,
                                                   [seed, i])
            params[f"conv{i}/b"] = tf.zeros([filters])
            params[f"bn{i}/beta"] = tf.zeros([filters])
            cin = filters
        params["out/w"] = tf.random.stateless_normal([features, ways], [seed, blocks])
        params["out/b"] = tf.zeros([ways])
        return params

    def features_(params: Params, x: tf.Tensor) -> tf.Tensor:
        h = x
        for i in range(blocks):
            h = conv2d(h, params[f"conv{i}/w"], None, stride=1 if max_pool else 2)
            h = tf.nn.relu(batch_norm(h, params[f"bn{i}/beta"], IMAGE_AXES, fused_batch_norm,
                                      bias=params[f"conv{i}/b"]))
            if max_pool:
                lead = tf.shape(h)[:-3]
                pooled = tf.nn.max_pool2d(tf.reshape(h, tf.concat([[-1], tf.shape(h)[-3:]], 0)),
                                          2, 2, "VALID")
                h = tf.reshape(pooled, tf.concat([lead, tf.shape(pooled)[1:]], 0))
        if max_pool:
            h = tf.reshape(h, tf.concat([tf.shape(h)[:-3], [features]], 0))
        else:
            h = tf.reduce_mean(h, axis=[-3, -2])
        return h

    def apply(params: Params, x: tf.Tensor) -> tf.Tensor:
        return dense(features_(params, x), params["out/w"], params["out/b"])

    frozen = tuple(f"bn{i}/beta" for i in range(blocks))
    return Model(init=init, apply=apply, frozen=frozen, features=features_)


def mlp_bn(ways: int, dim_in: int, hidden: tuple[int, ...] = (256, 128, 64, 64),
           init_std: float = 0.01, fused_batch_norm: bool = False) -> Model:
    """The non-conv classifier: flattened input, `hidden` × [linear, batch norm, ReLU], linear.
    Init as the reference's FC net: truncated normal(std 0.01) weights, zero biases."""
    sizes = [dim_in, *hidden]

    def init(seed: int) -> Params:
        params = {}
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            params[f"fc{i}/w"] = init_std * tf.random.stateless_truncated_normal([n_in, n_out],
                                                                                 [seed, i])
            params[f"fc{i}/b"] = tf.zeros([n_out])
            params[f"bn{i}/beta"] = tf.zeros([n_out])
        params["out/w"] = init_std * tf.random.stateless_truncated_normal([sizes[-1], ways],
                                                                          [seed, len(hidden)])
        params["out/b"] = tf.zeros([ways])
        return params

    def apply(params: Params, x: tf.Tensor) -> tf.Tensor:
        h = tf.reshape(x, tf.concat([tf.shape(x)[:-3], [dim_in]], 0))  # [..., B, H, W, C] -> [..., B, D]
        for i in range(len(hidden)):
            h = dense(h, params[f"fc{i}/w"], None)
            h = tf.nn.relu(batch_norm(h, params[f"bn{i}/beta"], VECTOR_AXES, fused_batch_norm,
                                      bias=params[f"fc{i}/b"]))
        return dense(h, params["out/w"], params["out/b"])

    return Model(init=init, apply=apply, frozen=tuple(f"bn{i}/beta" for i in range(len(hidden))))
