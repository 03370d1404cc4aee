"""FLOPs of a meta-iteration and this machine's matmul peak: the roofline of the speed benchmark.

`per_iteration` counts what one meta-iteration must compute, the objective and its gradient with
respect to the weights, from XLA's optimised HLO: 2·M·N·K for every dot and 2 multiply-adds per
kernel tap for every convolution (with per-task weights, convolutions are im2col dots). Element-
wise work is left out, so the count is a lower bound and the floor it gives (`floor_ms`, at the
float32 matmul peak of all cores together, `matmul_peak`) is optimistic.
TensorFlow is imported inside the functions that run it, so a report can use `floor_ms` without it.
"""
import math
import re
import time

_INSTRUCTION = re.compile(r"^\s*(?:ROOT )?%(\S+) = (\w+)\[([\d,]*)\]\S* (\w[\w-]*)\((.*)$")


def per_iteration(objective, params, sample, config) -> float:
    """FLOPs of `objective(params, tasks)` and its gradient on one meta-batch of `sample`."""
    import tensorflow as tf

    tasks = sample(tf.constant([0, 0], tf.int64), config.meta_batch_size, config.shots,
                   config.query_shots)

    @tf.function(jit_compile=True)
    def step(params, tasks):
        with tf.GradientTape() as tape:
            tape.watch(params)
            loss = objective(params, tasks)
        return tape.gradient(loss, params, unconnected_gradients=tf.UnconnectedGradients.ZERO)

    return hlo_flops(step.experimental_get_compiler_ir(params, tasks)(stage="optimized_hlo"))


def hlo_flops(hlo: str) -> float:
    """Multiply-add FLOPs of the dots and convolutions in an HLO module's text."""
    shapes, total = {}, 0.0
    lines = hlo.splitlines()
    for line in lines:
        m = _INSTRUCTION.match(line)
        if m:
            shapes[m.group(1)] = [int(d) for d in m.group(3).split(",") if d]
    for line in lines:
        m = _INSTRUCTION.match(line)
        if not m or m.group(4) not in ("dot", "convolution"):
            continue
        out = math.prod(shapes[m.group(1)])
        operands = re.findall(r"%([\w.\-]+)", m.group(5).split(")")[0])
        lhs, rhs = shapes[operands[0]], shapes[operands[1]]
        if m.group(4) == "dot":
            contracting = re.search(r"lhs_contracting_dims=\{([\d,]*)\}", line).group(1)
            k = math.prod([lhs[int(d)] for d in contracting.split(",") if d])
            total += 2.0 * out * k
        else:  # per output element: every kernel tap of every input feature of its group
            rhs_labels = re.search(r"dim_labels=\w+_(\w+)->", line).group(1)
            total += 2.0 * out * math.prod(rhs) / rhs[rhs_labels.index("o")]
    return total


def floor_ms(gflop_per_iteration: float, peak_gflop_per_s: float) -> float:
    """The roofline floor: ms that a meta-iteration's FLOPs take at the machine's matmul peak."""
    return gflop_per_iteration / peak_gflop_per_s * 1e3


def matmul_peak(sizes: tuple[int, ...] = (2048, 4096), repeats: int = 5) -> float:
    """Best GFLOP/s of float32 square matmuls of these sizes, with TensorFlow's threads as
    configured (set them with `runtime.configure` first: the floor uses every core together)."""
    import tensorflow as tf

    best = 0.0
    for size in sizes:
        a = tf.random.stateless_normal([size, size], seed=[0, 1])
        b = tf.random.stateless_normal([size, size], seed=[0, 2])
        tf.linalg.matmul(a, b).numpy()
        for _ in range(repeats):
            t0 = time.perf_counter()
            tf.linalg.matmul(a, b).numpy()
            best = max(best, 2.0 * size**3 / (time.perf_counter() - t0) / 1e9)
    return best

