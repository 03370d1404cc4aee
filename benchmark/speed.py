"""Speed benchmark: ms per meta-iteration and peak memory of MAML and FOMAML formulations.

`mamlbench-speed` (or `python -m benchmark.speed`) measures the sinusoid paper config (meta-batch
25, K=10, 1 inner step, 40-40 MLP), or with `--experiment fewshot` the few-shot paper configs of
params.yaml (Omniglot and MiniImageNet, on synthetic images of the right shape, plus the episode
sampler alone), in several forms, each in its own process so that its peak resident memory is
its own:
  formulation  tiled (weights tiled on a task axis, batched matmuls) | loop (Python loop over tasks)
  xla          compiled with XLA (jit_compile) or as a plain TF graph
  per_call     meta-iterations per compiled call (1, or many: tasks are sampled inside the call)
  onednn       few-shot: TensorFlow's oneDNN kernels and fused batch norm, or Eigen's kernels
               (default: the experiment's params.yaml choice; null for the sinusoid: TF's own)
It prints a table and writes it as JSON (--out). Timing: median over repeated calls, after a
warm-up call that includes compilation.

Roofline: each row also counts the FLOPs of one meta-iteration (`flops.per_iteration`: the dots
of XLA's optimised HLO for the tiled form of the same objective), and the run measures this
machine's float32 matmul peak per thread. The last columns give the GFLOP/s a row reaches, and
the floor: the time that FLOP count takes at the peak of every core, which no formulation beats.
"""
import argparse
import itertools
import json
import os
import pathlib
import platform
import resource
import statistics
import subprocess
import sys
import time


def measure(order: str, formulation: str, xla: bool, per_call: int, threads: int,
            repeats: int, experiment: str = "sinusoid", onednn: bool | None = None) -> dict:
    """Time one configuration in this process. onednn None: the experiment's own choice."""
    from benchmark import runtime

    if onednn is None and experiment != "sinusoid":
        from pipelines.fewshot import settings

        onednn = settings.load().fewshot.experiments[experiment].onednn
    runtime.configure(threads, onednn=onednn)
    import tensorflow as tf

    from benchmark import flops, training
    from benchmark.optim import Adam

    method, sample, config = _setup(experiment, order, formulation, xla, per_call)
    optimizer = Adam(config.meta_lr)
    params = method.init(0)
    state = optimizer.init(params)
    chunk = training._compile_chunk(method.training_loss, sample, optimizer, config, 0)
    t0 = time.perf_counter()
    params, state, losses_ = chunk(params, state, tf.constant(0, tf.int64), per_call)
    losses_.numpy()
    warmup = time.perf_counter() - t0
    times = []
    for r in range(repeats):
        t0 = time.perf_counter()
        params, state, losses_ = chunk(params, state, tf.constant((r + 1) * per_call, tf.int64),
                                       per_call)
        losses_.numpy()
        times.append(time.perf_counter() - t0)
    ms = 1e3 * statistics.median(times) / per_call
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the count
    tiled, tiled_sample, tiled_config = _setup(experiment, order, "tiled", True, 1)
    gflop = flops.per_iteration(tiled.training_loss, tiled.init(0), tiled_sample,
                                tiled_config) / 1e9
    row = {
        "experiment": experiment, "order": order, "formulation": formulation, "xla": xla,
        "per_call": per_call, "threads": threads, "onednn": onednn,
        "ms_per_iteration": ms, "warmup_s": round(warmup, 2), "calls_timed": repeats,
        "peak_rss_mb": peak_rss_mb, "gflop_per_iteration": gflop, "gflop_per_s": gflop / ms * 1e3,
    }
    if experiment != "sinusoid":  # the input pipeline on its own: is training waiting on it?
        sampler = tf.function(lambda seed: sample(seed, config.meta_batch_size, config.shots,
                                                  config.query_shots), jit_compile=True)
        seed = tf.constant([0, 1], tf.int64)
        tf.nest.map_structure(lambda t: t.numpy(), sampler(seed))
        t0 = time.perf_counter()
        for _ in range(20):
            tf.nest.map_structure(lambda t: t.numpy(), sampler(seed))
        row["sampler_ms_per_meta_batch"] = 1e3 * (time.perf_counter() - t0) / 20
    return row


def _setup(experiment: str, order: str, formulation: str, xla: bool, per_call: int):
    """(method, sampler, train config) of the sinusoid or of a few-shot params.yaml experiment."""
    from benchmark import losses, training
    from benchmark.algorithms.maml import Maml, MamlConfig

    if experiment == "sinusoid":
        from benchmark.models.mlp import mlp
        from benchmark.tasks.sinusoid import Sinusoid

        method = Maml(mlp(1, (40, 40), 1), losses.mse,
                      MamlConfig(0.01, 1, first_order=order == "first", formulation=formulation))
        config = training.TrainConfig(iterations=per_call, meta_batch_size=25, shots=10,
                                      query_shots=10, chunk_iterations=per_call, jit_compile=xla)
        return method, Sinusoid().sample, config
    import dataclasses

    import numpy as np

    from benchmark.tasks.fewshot import FewShotClassification
    from pipelines.fewshot import build, settings

    s = settings.load()
    e = dataclasses.replace(s.fewshot.experiments[experiment], formulation=formulation)
    m = settings.Method("maml", first_order=order == "first")
    method = build.method(e, m)
    size, channels = build.IMAGE[e.dataset]
    classes, examples = (1100, 20) if e.dataset == "omniglot" else (64, 40)  # 40 of 600: memory
    images = np.random.default_rng(0).integers(0, 256, (classes, examples, size, size, channels),
                                               dtype=np.uint8)
    dist = FewShotClassification(images, e.ways, rotate=e.dataset == "omniglot", scale=1 / 255)
    config = dataclasses.replace(build.train_config(s, e, m, per_call),
                                 chunk_iterations=per_call, jit_compile=xla)
    return method, dist.sample, config


FEWSHOT_GRID = [  # (experiment, order, formulation, xla, oneDNN or None: the experiment's)
    ("omniglot_5w1s", "second", "tiled", True, None), ("omniglot_5w1s", "first", "tiled", True, None),
    ("omniglot_5w1s", "second", "loop", False, None), ("omniglot_5w1s", "first", "loop", False, None),
    ("omniglot_5w1s", "second", "loop", False, True),
    ("miniimagenet_5w1s", "second", "loop", False, None),
    ("miniimagenet_5w1s", "first", "loop", False, None),
    ("miniimagenet_5w1s", "second", "loop", False, False),
    ("omniglot_5w1s_mlp", "second", "tiled", True, None),
    ("omniglot_5w5s", "second", "tiled", True, None),
    ("omniglot_20w1s", "second", "tiled", True, None),
    ("omniglot_20w5s", "second", "tiled", True, None),
    ("miniimagenet_5w5s", "second", "loop", False, None),
]


def grid(quick: bool, experiment: str = "sinusoid") -> list[dict]:
    if experiment == "fewshot":
        return [{"experiment": e, "order": o, "formulation": f, "xla": x, "onednn": d,
                 "per_call": 3, "threads": 1}
                for e, o, f, x, d in FEWSHOT_GRID[: 1 if quick else None]]
    rows = []
    for order, (formulation, xla, per_call) in itertools.product(
        ("second", "first"),
        [("tiled", True, 1000), ("tiled", True, 1), ("tiled", False, 1), ("loop", True, 1000),
         ("loop", False, 1)],
    ):
        if quick and (formulation, xla, per_call) != ("tiled", True, 1000):
            continue
        rows.append({"order": order, "formulation": formulation, "xla": xla,
                     "per_call": per_call, "threads": 1})
    rows.append({"order": "second", "formulation": "tiled", "xla": True, "per_call": 1000,
                 "threads": 2})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=pathlib.Path, help="write the results as JSON here")
    parser.add_argument("--quick", action="store_true", help="only the default formulation")
    parser.add_argument("--profile", help="params.yaml profile; 'smoke' implies --quick")
    parser.add_argument("--experiment", choices=("sinusoid", "fewshot"), default="sinusoid")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one config, JSON in/out
    args = parser.parse_args(argv)

    if args.one == "matmul_peak":
        from benchmark import flops, runtime

        runtime.configure(1)
        print(json.dumps({"matmul_gflop_per_s_per_thread": flops.matmul_peak()}))
        return
    if args.one:
        cfg = json.loads(args.one)
        if cfg.get("experiment", "sinusoid") != "sinusoid":
            repeats = 3
        else:
            repeats = max(3, 3000 // cfg["per_call"]) if cfg["per_call"] == 1 else 5
        print(json.dumps(measure(**cfg, repeats=repeats)))
        return

    args.quick = args.quick or args.profile == "smoke"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}

    def run_one(one: str) -> dict:
        out = subprocess.run([sys.executable, "-m", "benchmark.speed", "--one", one],
                             capture_output=True, text=True, env=env, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    peak = run_one("matmul_peak")["matmul_gflop_per_s_per_thread"]
    cores = os.cpu_count()
    print(f"float32 matmul peak: {peak:.1f} GFLOP/s per thread (2048x2048); floor: the "
          f"meta-iteration's FLOPs at {cores} x that peak")
    results = []
    print(f"{'experiment':18} {'order':7} {'form':6} {'xla':5} {'dnn':5} {'it/call':>7} {'thr':>3} "
          f"{'ms/it':>8} {'peak MB':>8} {'sampler ms':>10} {'GFLOP/it':>9} {'GFLOP/s':>8} "
          f"{'floor ms':>8}")
    for cfg in grid(args.quick, args.experiment):
        r = run_one(json.dumps(cfg))
        r["floor_ms"] = r["gflop_per_iteration"] / (cores * peak) * 1e3
        results.append(r)
        sampler = r.get("sampler_ms_per_meta_batch")
        print(f"{r['experiment']:18} {r['order']:7} {r['formulation']:6} {str(r['xla']):5} "
              f"{str(r['onednn']):5} "
              f"{r['per_call']:>7} {r['threads']:>3} {r['ms_per_iteration']:>8.3f} "
              f"{r['peak_rss_mb']:>8.0f} {'' if sampler is None else f'{sampler:.2f}':>10} "
              f"{r['gflop_per_iteration']:>9.4f} {r['gflop_per_s']:>8.1f} {r['floor_ms']:>8.3f}",
              flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({
            "config": ("sinusoid, meta-batch 25, K=10 (+10 query), 1 inner step, 1-40-40-1 MLP"
                       if args.experiment == "sinusoid" else
                       "few-shot paper configs of params.yaml, synthetic images"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "processor": platform.machine(),
                        "matmul_gflop_per_s_per_thread": peak},
            "profile": args.profile, "quick": args.quick, "results": results,
        }, indent=1) + "\n")


if __name__ == "__main__":
    main()
