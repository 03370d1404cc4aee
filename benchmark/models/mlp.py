"""The paper's fully connected regressor: dim_in-40-40-dim_out with ReLU (reference init)."""
import tensorflow as tf

from benchmark.models import Model, Params


def mlp(dim_in: int, hidden: tuple[int, ...], dim_out: int, init_std: float = 0.01) -> Model:
    """MLP with the reference code's initialisation: weights truncated-normal(std), biases 0."""
    sizes = [dim_in, *hidden, dim_out]

    def init(seed: int) -> Params:
        params = {}
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            params[f"w{i}"] = init_std * tf.random.stateless_truncated_normal(
                [n_in, n_out], seed=[seed, i]
            )
            params[f"b{i}"] = tf.zeros([n_out])
        return params

    def apply(params: Params, x: tf.Tensor) -> tf.Tensor:
        h = x
        for i in range(len(sizes) - 1):
            # b[..., None, :] broadcasts a per-task bias [T, n_out] over the examples axis.
            h = tf.matmul(h, params[f"w{i}"]) + params[f"b{i}"][..., None, :]
            if i < len(sizes) - 2:
                h = tf.nn.relu(h)
        return h

    return Model(init=init, apply=apply)
