"""Process-wide TensorFlow settings for reproducible, fast runs on small CPUs.

Measured on the project's 2-core machines (`mamlbench-speed`, results/speed/): the compiled
sinusoid meta-iteration is faster on one thread than on two, because its ops are too small to
split; the few-shot ones gain 1.5x (Omniglot) to 1.9x (MiniImageNet) from two. One thread is the
default: two runs then use both cores fully. The thread count changes the rounding of few-shot
runs (their convolutions split work by thread), so a checkpoint records it and a resume on
another count is refused (`training`): the committed results were all trained on one thread.

Where the threads go: within each op (TensorFlow's intra-op pool: what XLA's compiled forms use)
or across independent ops, each op on one thread (`across_ops`). The loop form's meta-batch is
independent per-task graphs, so across ops its tasks run side by side: faster on both cores than
splitting each small op in two (results/speed/fewshot.json), and since every op still runs on one
thread, bit-identical to a run on one thread (tests/test_fewshot_resume.py), so such a run may
continue a one-thread checkpoint.

Kernel library: TensorFlow uses oneDNN's kernels only on CPUs it deems made for them (AVX-512
and up); on these AVX2 machines it falls back to Eigen's. oneDNN's convolutions and batch norm
halve MiniImageNet's meta-iteration here but slow Omniglot's small strided convs, so each
few-shot experiment says which it wants (`onednn` in params.yaml). The choice must be made
before TensorFlow is imported, hence this module imports it only inside `configure`.
"""
import os
import sys

_configured = False


def configure(threads: int | None = None, onednn: bool | None = None,
              across_ops: bool = False) -> None:
    """Call once, before any TF op runs. Threads: argument, else $MAMLBENCH_THREADS, else 1.
    onednn: True/False force TensorFlow's oneDNN kernels on/off, None keeps TF's default; it
    only takes effect if TensorFlow is not imported yet (a stage's entry point calls this first).
    across_ops: that many ops at once, each on one thread, instead of each op on that many.
    """
    global _configured
    if _configured:
        return
    if onednn is not None and "tensorflow" not in sys.modules:
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if onednn else "0"
    import tensorflow as tf

    threads = threads or int(os.environ.get("MAMLBENCH_THREADS", "1"))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1 if across_ops else threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TF already ran an op in this process (e.g. under pytest): keep its
        pass  # settings. The thread count changes rounding (few-shot convolutions), not meaning
    _without_memory_optimizer()
    _configured = True


def _without_memory_optimizer() -> None:
    """Turn off Grappler's memory optimizer, which makes graph-mode training differ in its last
    bits from one process to the next. It rewrites gradient sums (AddN) into accumulations into a
    temporary variable whose order is not fixed, so the same meta-iteration in two processes gave
    different weights (measured: Omniglot 20-way 1-shot, loop form, one thread, both kernel
    libraries), and a run resumed in a new process did not repeat an unbroken one. Off, they are
    bit-identical, at the same speed (1350 against 1360 ms/it, 4 interleaved runs). TensorFlow's
    public `tf.config.optimizer` does not expose this pass, so the context's config is set; it
    must happen before the first op (tests/test_fewshot_resume.py checks the result)."""
    from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
    from tensorflow.python.eager import context

    ctx = context.context()
    config = config_pb2.ConfigProto()
    if ctx._config is not None:  # noqa: SLF001 (no public setter for this pass)
        config.CopyFrom(ctx._config)  # noqa: SLF001
    config.graph_options.rewrite_options.memory_optimization = (
        rewriter_config_pb2.RewriterConfig.NO_MEM_OPT)
    ctx._config = config  # noqa: SLF001
