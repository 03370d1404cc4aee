"""Named random streams: every purpose (training tasks, init, test tasks…) gets its own seed.

`stream(purpose, seed)` is stable across processes and machines (CRC32, not Python's hash), so
a stream is reproducible and two purposes never share random numbers by accident. Stateless TF
ops take `tf_seed(stream, counter)`, e.g. the training tasks of iteration i use counter i.
"""
import zlib

import tensorflow as tf


def stream(purpose: str, seed: int) -> int:
    return zlib.crc32(f"{purpose}:{seed}".encode()) & 0x7FFFFFFF


def tf_seed(stream_id, counter) -> tf.Tensor:
    """A stateless-op seed [2] from a stream id and a counter (Python ints or int tensors)."""
    return tf.stack([tf.cast(stream_id, tf.int64), tf.cast(counter, tf.int64)])
