"""N-way K-shot classification episodes from an image array, sampled statelessly in-graph.

The images of one split are a uint8 tensor [classes, examples, H, W, C]. An episode draws N
distinct classes, (optionally) one rotation by k·90° per class that makes it a new class
(Omniglot, as Santoro et al. and the reference: at training and at test time), and K + Q distinct
examples per class: K for the support set, Q for the query set. Labels are the class's position
0..N-1 in the episode, one-hot. Everything is a pure function of the seed, so episodes are
sampled inside the compiled training loop and never wait on an input pipeline.
"""
import numpy as np
import tensorflow as tf

from benchmark.tasks.base import Split, Task


class FewShotClassification:
    """`sample(seed, num_tasks, shots, query_shots)`: a meta-batch of N-way episodes."""

    def __init__(self, images: np.ndarray, ways: int, rotate: bool, scale: float = 1.0):
        if images.ndim != 5:
            raise ValueError(f"images must be [classes, examples, H, W, C], got {images.shape}")
        if images.shape[0] < ways:
            raise ValueError(f"{ways}-way episodes need at least {ways} classes, "
                             f"the split has {images.shape[0]}")
        self.ways, self.rotate, self.scale = ways, rotate, scale
        self.num_classes, self.num_examples = images.shape[:2]
        self.image_shape = images.shape[2:]
        if rotate:  # [classes, 4, examples, H, W, C]: all four rotations, gathered per class
            images = np.stack([np.rot90(images, k, axes=(2, 3)) for k in range(4)], axis=1)
        self.images = tf.constant(images)

    def sample(self, seed, num_tasks: int, shots: int, query_shots: int) -> Task:
        per_class = shots + query_shots
        if per_class > self.num_examples:
            raise ValueError(f"{shots} support + {query_shots} query examples per class, but each "
                             f"class has only {self.num_examples}")
        s_class, s_rot, s_ex = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
        # Distinct classes and distinct examples: the top-k positions of uniform noise.
        classes = tf.math.top_k(
            tf.random.stateless_uniform([num_tasks, self.num_classes], s_class), self.ways).indices
        examples = tf.math.top_k(
            tf.random.stateless_uniform([num_tasks, self.ways, self.num_examples], s_ex),
            per_class).indices  # [T, N, K+Q]
        classes = tf.broadcast_to(classes[..., None], examples.shape)
        if self.rotate:
            rotation = tf.random.stateless_uniform([num_tasks, self.ways], s_rot, 0, 4, tf.int32)
            rotation = tf.broadcast_to(rotation[..., None], examples.shape)
            index = tf.stack([classes, rotation, examples], axis=-1)
        else:
            index = tf.stack([classes, examples], axis=-1)
        x = tf.cast(tf.gather_nd(self.images, index), tf.float32) * self.scale  # [T, N, K+Q, ...]
        labels = tf.one_hot(tf.range(self.ways), self.ways)  # [N, N]
        labels = tf.broadcast_to(labels[None, :, None, :], [num_tasks, self.ways, per_class, self.ways])

        def split(lo: int, hi: int) -> Split:
            n = self.ways * (hi - lo)
            return Split(tf.reshape(x[:, :, lo:hi], [num_tasks, n, *self.image_shape]),
                         tf.reshape(labels[:, :, lo:hi], [num_tasks, n, self.ways]))

        return Task(support=split(0, shots), query=split(shots, per_class), info={})


class AllClassesBatches:
    """Plain supervised batches over every class of a split (each rotation its own class when
    the episodes rotate): what the pretrained baselines train on instead of episodes.

    `sample(seed, num_tasks, shots, query_shots)` keeps the sampler protocol so that training
    runs it like episodes: each "task" is `shots` random images of the split with one-hot labels
    over all `num_classes` classes, in its support set; its query set is empty.
    """

    def __init__(self, episodes: FewShotClassification):
        self.images, self.rotate, self.scale = episodes.images, episodes.rotate, episodes.scale
        self.image_shape = episodes.image_shape
        self.num_examples = episodes.num_examples
        self.num_classes = episodes.num_classes * (4 if self.rotate else 1)

    def sample(self, seed, num_tasks: int, shots: int, query_shots: int = 0) -> Task:
        if query_shots:
            raise ValueError("all-classes batches have no query set: query_shots must be 0")
        s_class, s_ex = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        label = tf.random.stateless_uniform([num_tasks, shots], s_class, 0, self.num_classes,
                                            tf.int32)
        example = tf.random.stateless_uniform([num_tasks, shots], s_ex, 0, self.num_examples,
                                              tf.int32)
        if self.rotate:  # label = class * 4 + rotation
            index = tf.stack([label // 4, label % 4, example], axis=-1)
        else:
            index = tf.stack([label, example], axis=-1)
        x = tf.cast(tf.gather_nd(self.images, index), tf.float32) * self.scale
        y = tf.one_hot(label, self.num_classes)
        empty = Split(x[:, :0], y[:, :0])
        return Task(support=Split(x, y), query=empty, info={})
