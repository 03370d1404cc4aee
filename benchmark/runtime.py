"""Process-wide TensorFlow settings for reproducible, fast runs on small CPUs.

Measured on the project's 2-core machines (`mamlbench-speed`, results/speed/): the compiled
sinusoid meta-iteration is faster on one thread than on two, because its ops are too small to
split, and the few-shot ones gain far less than 2x. So one thread is the default: the second
core is better spent on a second run.
"""
import os

import tensorflow as tf

_configured = False


def configure(threads: int | None = None) -> None:
    """Call once, before any TF op runs. Threads: argument, else $MAMLBENCH_THREADS, else 1."""
    global _configured
    if _configured:
        return
    threads = threads or int(os.environ.get("MAMLBENCH_THREADS", "1"))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TF already ran an op in this process (e.g. under pytest): keep its
        pass  # settings; results do not depend on the thread count, only speed does
    _configured = True
