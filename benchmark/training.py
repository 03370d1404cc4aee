"""Meta-training: many meta-iterations per compiled call, resumable, stops cleanly on NaN.

Speed: the tasks of iteration i are sampled *inside* the compiled loop from the stateless seed
(train stream, i), so a call runs `chunk_iterations` meta-iterations with no Python, no input
pipeline and no per-iteration dispatch. When the tasks are small (the sinusoid: 4 kB a
meta-batch), the call draws all of its iterations' tasks before the first: XLA would otherwise
recompute the random draw inside every fusion that reads it, a quarter of the sinusoid's
meta-iteration (results/speed/). Image tasks are drawn per iteration. Between calls the loop
checks the losses, logs progress and checkpoints.

Resumption: a checkpoint holds the weights, the Adam state, the iteration and the per-iteration
losses. As the tasks depend only on (seed, iteration), a resumed run computes exactly what an
uninterrupted one would. It also holds the run's training segments: which iterations each
process trained, on how many threads, in how long, stamped with what the caller records of
itself (`Run.provenance`, e.g. the code commit), so that a run trained over several sessions
says which code trained which iterations.
"""
import dataclasses
import json
import math
import os
import pathlib
import sys
import time
from collections.abc import Callable, Mapping

import numpy as np
import tensorflow as tf

from benchmark import seeding
from benchmark.optim import Adam, AdamState

Params = dict[str, tf.Tensor]


class TrainingDiverged(RuntimeError):
    """The training loss became NaN or infinite."""


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    iterations: int
    meta_batch_size: int
    shots: int  # K support examples per task
    query_shots: int  # query examples per task
    meta_lr: float = 1e-3
    clip_value: float | None = None  # per-entry meta-gradient clipping (None: off)
    chunk_iterations: int = 1000  # meta-iterations per compiled call
    checkpoint_every: int = 5000  # iterations between resume checkpoints
    log_every: int = 100  # learning-curve resolution, in iterations
    jit_compile: bool = True


@dataclasses.dataclass(frozen=True)
class Run:
    """Where a run stands: its seed, its resume file and the fingerprint that must match it."""

    seed: int
    resume_path: pathlib.Path | None = None
    fingerprint: str = ""
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)
    # Called with (params, iteration) at every checkpoint (each `checkpoint_every` iterations
    # and the last), and at the checkpoint a run resumes from: e.g. to score validation tasks.
    on_checkpoint: Callable[[Params, int], None] = lambda params, iteration: None
    # Stamped on the training segment this process runs, e.g. {"commit": "..."}.
    provenance: Mapping[str, str] = dataclasses.field(default_factory=dict)


def fit(objective, params: Params, sample, config: TrainConfig, run: Run):
    """Adam on `objective(params, tasks)` over meta-batches from `sample`.

    Returns (params, curve, stats): the curve is [{"step", "meta_loss"}], the mean loss over
    each window of `log_every` iterations; stats record iterations, wall time and the training
    segments ([{"first", "last", "threads", "cores", "wall_time_s", **run.provenance}], oldest
    first): `threads` is the intra-op count that fixes rounding, `cores` how many ran at once.
    """
    optimizer = Adam(config.meta_lr, clip_value=config.clip_value)
    run_chunk = _compile_chunk(objective, sample, optimizer, config, run.seed)

    state = _load(run) or {
        "params": params, "opt": optimizer.init(params), "iteration": 0,
        "losses": np.zeros([0], np.float32), "wall_time": 0.0, "segments": [],
    }
    params, opt_state, it = state["params"], state["opt"], state["iteration"]
    if it > config.iterations:  # its weights are not this budget's: never return them as such
        raise ValueError(
            f"{run.resume_path} holds iteration {it}, past this run's budget of "
            f"{config.iterations} iterations, and a run cannot be rewound: raise the budget to at "
            f"least {it}, or move the checkpoint away to train this budget from scratch")
    # Convolutions round differently on another thread count, so training on would not give the
    # run an uninterrupted one gives; a run already at its budget only hands its weights back.
    if it < config.iterations and state.get("threads", threads()) != threads():
        raise ValueError(
            f"{run.resume_path} was trained on {state['threads']} TensorFlow thread(s) and this "
            f"process runs {threads()}; the thread count changes rounding, so the resumed run "
            f"would differ from an uninterrupted one: resume with "
            f"MAMLBENCH_THREADS={state['threads']}")
    if it > 0:
        run.log(f"resuming from iteration {it} ({run.resume_path})")
        run.on_checkpoint(params, it)
    losses, wall = [state["losses"]], state["wall_time"]
    saved_at, t0, start_it, elapsed = it, time.perf_counter(), it, 0.0

    def segments() -> list[dict]:  # the checkpoint's, then this process's (if it trained)
        if it == start_it:
            return state["segments"]
        return state["segments"] + [{"first": start_it + 1, "last": it, "threads": threads(),
                                     "cores": cores(), "wall_time_s": round(elapsed, 2),
                                     **run.provenance}]

    while it < config.iterations:
        n = min(config.chunk_iterations, config.iterations - it)
        chunk_start = time.perf_counter()
        new_params, new_opt, chunk_losses = run_chunk(params, opt_state, tf.constant(it, tf.int64), n)
        chunk_losses = chunk_losses.numpy()[:n]
        bad = np.flatnonzero(~np.isfinite(chunk_losses))
        if bad.size:
            raise TrainingDiverged(
                f"non-finite training loss at iteration {it + int(bad[0])}. The last good state "
                f"(iteration {saved_at}) is kept in {run.resume_path}. Lower the meta or inner "
                "learning rate in params.yaml, or enable clipping, then run again."
            )
        params, opt_state, it = new_params, new_opt, it + n
        losses.append(chunk_losses)
        now = time.perf_counter()
        elapsed, chunk_ms = now - t0, 1e3 * (now - chunk_start) / n
        eta = elapsed / (it - start_it) * (config.iterations - it)
        run.log(  # this chunk's speed; overall: the process's, checkpoints and scoring included
            f"iteration {it}/{config.iterations}  loss {chunk_losses.mean():.4f}  "
            f"{chunk_ms:.3f} ms/it ({1e3 * elapsed / (it - start_it):.3f} ms/it overall)  "
            f"ETA {eta:.0f} s"
        )
        if it - saved_at >= config.checkpoint_every or it == config.iterations:
            if run.resume_path:
                _save(run, params, opt_state, it, np.concatenate(losses), wall + elapsed,
                      segments())
            saved_at = it
            run.on_checkpoint(params, it)
    all_losses = np.concatenate(losses)
    stats = {"iterations": it, "wall_time_s": round(wall + time.perf_counter() - t0, 2),
             "segments": segments()}
    return params, learning_curve(all_losses, config.log_every), stats


def learning_curve(losses: np.ndarray, every: int) -> list[dict]:
    """Mean loss over consecutive windows of `every` iterations, stamped with the window's end."""
    curve = []
    for start in range(0, len(losses), every):
        window = losses[start : start + every]
        curve.append({"step": start + len(window), "meta_loss": float(window.mean())})
    return curve


# Tasks of at most this size per iteration are drawn for the whole chunk before its first step
# (a per-iteration bound: the speed benchmark's short calls then time what training runs).
PRESAMPLE_BYTES = 256 * 2**10


def _compile_chunk(objective, sample, optimizer: Adam, config: TrainConfig, seed: int):
    """The compiled call `(params, opt_state, start, n) -> (params, opt_state, losses)` that runs
    meta-iterations start .. start + n - 1; the tf.function itself is its `compiled` attribute.

    The meta-iteration whose tasks are drawn inside the loop is a loop variable, not `start + i`:
    with `start` read inside the body, tf2xla took it as a compile-time constant once the body
    held a `tf.vectorized_map`, and XLA recompiled the chunk for every new start (seconds a call).
    """
    stream = seeding.stream("train-tasks", seed)
    size = config.chunk_iterations

    def draw(step):
        return sample(seeding.tf_seed(stream, step), config.meta_batch_size, config.shots,
                      config.query_shots)

    @tf.function(jit_compile=config.jit_compile)
    def run_chunk(params, opt_state, start, n):
        spec = tf.nest.map_structure(lambda t: tf.TensorSpec(t.shape, t.dtype), draw(start))
        per_iteration = sum(s.shape.num_elements() * s.dtype.size for s in tf.nest.flatten(spec))
        if per_iteration <= PRESAMPLE_BYTES:
            chunk_tasks = tf.map_fn(lambda i: draw(start + tf.cast(i, tf.int64)), tf.range(size),
                                    fn_output_signature=spec)
            tasks_of = lambda i, step: tf.nest.map_structure(lambda t: t[i], chunk_tasks)  # noqa: E731
        else:
            tasks_of = lambda i, step: draw(step)  # noqa: E731

        def body(i, step, params, opt_state, losses):
            tasks = tasks_of(i, step)
            with tf.GradientTape() as tape:
                tape.watch(params)
                loss = objective(params, tasks)
            # Weights the objective does not touch (a pretrained baseline's N-way layer) get a
            # zero gradient, so Adam leaves them where they are.
            grads = tape.gradient(loss, params, unconnected_gradients=tf.UnconnectedGradients.ZERO)
            params, opt_state = optimizer.update(params, grads, opt_state)
            losses = tf.tensor_scatter_nd_update(losses, [[i]], [loss])
            return i + 1, step + 1, params, opt_state, losses

        losses = tf.fill([size], tf.constant(math.nan, tf.float32))
        _, _, params, opt_state, losses = tf.while_loop(
            lambda i, *_: i < n, body, (tf.constant(0), start, params, opt_state, losses)
        )
        return params, opt_state, losses

    def call(params, opt_state, start, n):
        return run_chunk(params, opt_state, start, tf.constant(n))

    call.compiled = run_chunk
    return call


def _save(run: Run, params, opt_state: AdamState, iteration, losses, wall_time,
          segments: list[dict]) -> None:
    arrays = {f"params/{k}": v.numpy() for k, v in params.items()}
    arrays |= {f"m/{k}": v.numpy() for k, v in opt_state.m.items()}
    arrays |= {f"v/{k}": v.numpy() for k, v in opt_state.v.items()}
    arrays |= {
        "opt_step": opt_state.step.numpy(), "iteration": np.int64(iteration), "losses": losses,
        "wall_time": np.float64(wall_time), "fingerprint": np.str_(run.fingerprint),
        "threads": np.int64(threads()), "segments": np.str_(json.dumps(segments)),
    }
    save_npz(run.resume_path, arrays)


def threads() -> int:
    """TensorFlow's intra-op threads in this process (0: TensorFlow's default, every core)."""
    return tf.config.threading.get_intra_op_parallelism_threads()


def cores() -> int:
    """How many cores this process's TensorFlow ops may keep busy at once: its intra-op threads,
    or its inter-op ones when ops run side by side on one thread each (`runtime.configure`'s
    across_ops), at most the machine's. A wall time reads against this, not against `threads`."""
    intra = threads() or os.cpu_count() or 1
    inter = tf.config.threading.get_inter_op_parallelism_threads() or os.cpu_count() or 1
    return min(max(intra, inter), os.cpu_count() or 1)


def _load(run: Run) -> dict | None:
    if not (run.resume_path and run.resume_path.exists()):
        return None
    arrays = load_npz(run.resume_path)
    if str(arrays["fingerprint"]) != run.fingerprint:
        run.log(f"ignoring {run.resume_path}: it was written with other settings")
        return None
    saved = int(arrays["threads"]) if "threads" in arrays else 1  # older ones: all one thread
    group = lambda prefix: {
        k.split("/", 1)[1]: tf.constant(v) for k, v in arrays.items() if k.startswith(prefix + "/")
    }
    iteration, wall_time = int(arrays["iteration"]), float(arrays["wall_time"])
    if "segments" in arrays:
        segments = json.loads(str(arrays["segments"]))
    else:  # written before segments were recorded: one segment, its provenance unknown
        segments = [{"first": 1, "last": iteration, "threads": saved,
                     "wall_time_s": round(wall_time, 2),
                     **{k: "not recorded" for k in run.provenance}}]
    return {
        "params": group("params"),
        "opt": AdamState(tf.constant(arrays["opt_step"]), group("m"), group("v")),
        "iteration": iteration, "losses": arrays["losses"], "wall_time": wall_time,
        "segments": segments, "threads": saved,
    }


def save_npz(path: pathlib.Path, arrays: dict) -> None:
    """Write atomically: a crash mid-write never leaves a truncated file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


def load_npz(path: pathlib.Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
