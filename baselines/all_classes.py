"""Ravi & Larochelle's MiniImageNet baselines (quoted in the paper's Table 1), on one network
pretrained to classify every training class at once.

Pretraining: the few-shot model with a second output layer over all training classes
(`pretrain/w`, `pretrain/b`), trained with Adam on the mean cross-entropy of plain labelled
batches (`benchmark.tasks.fewshot.AllClassesBatches`). The N-way output layer (`out/*`) starts
at zero and is not pretrained.
- `FineTuned` ("fine-tuning baseline"): at test time, gradient descent on the support set for
  every weight but the pretraining head and the batch-norm offsets, with a step size tuned on
  validation tasks.
- `NearestNeighbour` ("nearest neighbor baseline"): no gradient steps; each query image takes the
  label of the support image whose last-hidden-layer features are the most similar (cosine).
Ravi & Larochelle (2017, §5) describe both in a few lines. Where they are silent these choices
are ours: the feature layer, the cosine similarity, the zero-initialised N-way layer, Adam, and
batch-norm statistics from the current batch (transductive, as every model here).
"""
import math

import tensorflow as tf

from benchmark.algorithms.base import Method
from benchmark.models import Model, Params
from benchmark.models.layers import dense

PRETRAIN_KEYS = ("pretrain/w", "pretrain/b")


class AllClassesPretrained(Method):
    """Shared part: initialisation and the all-classes training objective."""

    def __init__(self, model: Model, loss, num_classes: int, metric=None):
        if model.features is None:
            raise ValueError(f"{type(self).__name__} needs a model that exposes its features")
        super().__init__(model, loss, metric)
        self.num_classes = num_classes

    def init(self, seed: int) -> Params:
        params = self.model.init(seed)
        features = params["out/w"].shape[0]
        limit = math.sqrt(6.0 / (features + self.num_classes))  # Xavier-uniform
        return {**params, "out/w": tf.zeros_like(params["out/w"]),
                "pretrain/w": tf.random.stateless_uniform([features, self.num_classes],
                                                          [seed, 2_000], -limit, limit),
                "pretrain/b": tf.zeros([self.num_classes])}

    def training_loss(self, params: Params, tasks) -> tf.Tensor:
        """Mean cross-entropy over all training classes (tasks.support holds a plain batch)."""
        logits = dense(self.model.features(params, tasks.support.x), params["pretrain/w"],
                       params["pretrain/b"])
        return tf.reduce_mean(
            tf.nn.softmax_cross_entropy_with_logits(labels=tasks.support.y, logits=logits))

    def inner_keys(self, params: Params) -> list[str]:
        return [k for k in super().inner_keys(params) if k not in PRETRAIN_KEYS]


class FineTuned(AllClassesPretrained):
    name = "finetune"
    eval_inner_lr = None  # tuned on validation tasks


class NearestNeighbour(AllClassesPretrained):
    name = "nearest_neighbour"
    eval_inner_lr = 0.0  # nothing is fine-tuned

    def adapt(self, params: Params, support, info, inner_lr, steps: int) -> list[Params]:
        """Remembers the support set's normalised features and labels; every step is the same."""
        remembered = {**params, "memory/x": self._embed(params, support.x), "memory/y": support.y}
        return [remembered] * (steps + 1)

    def predict(self, params: Params, x: tf.Tensor, info: dict) -> tf.Tensor:
        """Per class, the best cosine similarity of any of its support images: the arg-max is
        the 1-nearest-neighbour label. [..., Q, N]"""
        if "memory/x" not in params:
            raise ValueError("NearestNeighbour.predict needs a support set: call adapt() first")
        similarity = tf.linalg.matmul(self._embed(params, x), params["memory/x"],
                                      transpose_b=True)  # [..., Q, S]
        of_class = params["memory/y"][..., None, :, :] > 0  # [..., 1, S, N]
        # Cosine similarity is >= -1, so -2 marks "not this class" without infinities.
        masked = tf.where(of_class, similarity[..., None], -2.0)  # [..., Q, S, N]
        return tf.reduce_max(masked, axis=-2)

    def _embed(self, params: Params, x: tf.Tensor) -> tf.Tensor:
        return tf.math.l2_normalize(self.model.features(params, x), axis=-1)
