"""Oracle: the task parameters are extra inputs (cbfinn/maml `--baseline=oracle`).

For the sinusoid the input becomes [x, amplitude, phase]; the network is trained like the
pretrained baseline and not adapted at test time (its curve over gradient steps is flat).
"""
import tensorflow as tf

from baselines.pretrained import Pretrained


class Oracle(Pretrained):
    name = "oracle"
    adapted_keys = ()  # nothing to adapt: the task is given

    def __init__(self, model, loss, inputs: tuple[str, ...]):
        super().__init__(model, loss)
        self.inputs = tuple(inputs)

    def predict(self, params, x, info):
        ones = tf.ones_like(x[..., :1])
        extra = [info[name][..., None, None] * ones for name in self.inputs]
        return self.model.apply(params, tf.concat([x, *extra], axis=-1))
