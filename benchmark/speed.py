"""Speed benchmark: ms per meta-iteration and peak memory of MAML and FOMAML formulations.

`mamlbench-speed` (or `python -m benchmark.speed`) measures the sinusoid paper config (meta-batch
25, K=10, 1 inner step, 40-40 MLP), or with `--experiment fewshot` the few-shot paper configs of
params.yaml (Omniglot and MiniImageNet, on synthetic images of the right shape, plus the episode
sampler alone), in several forms, each in its own process so that its peak resident memory is
its own:
  formulation  tiled (weights tiled on a task axis, batched matmuls) | vectorized (one task's loss
               under tf.vectorized_map) | loop (Python loop over tasks); see MamlConfig
  xla          compiled with XLA (jit_compile) or as a plain TF graph
  per_call     meta-iterations per compiled call (1, or many: tasks are sampled inside the call)
  onednn       few-shot: TensorFlow's oneDNN kernels and fused batch norm, or Eigen's kernels
               (default: the experiment's params.yaml choice; null for the sinusoid: TF's own)
  threads      TensorFlow's threads: 1 (training's default, a run per core), or both cores for
               the configs the issues set targets for, split within each op or (across_ops,
               "2x" in the printout) across independent ops as training runs the loop form
Run it on an otherwise idle machine: a second job on the other core slows every row and the
matmul peak. It prints a table and writes it as JSON (--out). Timing: median over repeated calls, after a
warm-up call that includes compilation. These shared machines drift by 10-20% from one minute to
the next, so the grid runs `--rounds` times, interleaved (a slow minute then costs one round of
several rows rather than every round of one), and each row reports its median round and the
spread (min-max over rounds).

Roofline: each (experiment, order) has its FLOPs per meta-iteration counted once
(`flops.per_iteration`: the dots and convolutions of XLA's optimised HLO for the tiled form of
the same objective), and the run measures this machine's float32 matmul peak, on one thread and
on every core together. The last columns give the GFLOP/s a row reaches, and the floor: the time
that FLOP count takes at the all-core peak, which no float32 formulation beats.
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
            repeats: int, experiment: str = "sinusoid", onednn: bool | None = None,
            across_ops: bool = False) -> dict:
    """Time one configuration in this process. onednn None: the experiment's own choice;
    across_ops: see runtime.configure."""
    from benchmark import runtime

    if onednn is None and experiment != "sinusoid":
        from pipelines.fewshot import settings

        onednn = settings.load().fewshot.experiments[experiment].onednn
    runtime.configure(threads, onednn=onednn, across_ops=across_ops)
    import tensorflow as tf

    from benchmark import training
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
    row = {
        "experiment": experiment, "order": order, "formulation": formulation, "xla": xla,
        "per_call": per_call, "threads": threads, "onednn": onednn, "across_ops": across_ops,
        "ms_per_iteration": 1e3 * statistics.median(times) / per_call,
        "warmup_s": round(warmup, 2), "calls_timed": repeats,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if experiment != "sinusoid":  # the input pipeline on its own: is training waiting on it?
        # compiled as this config's training chunk compiles it (XLA or plain graph): the XLA form
        # of the sampler is several times slower than the plain graph's, so timing it for a loop
        # config would overstate what that config's input pipeline costs
        sampler = tf.function(lambda seed: sample(seed, config.meta_batch_size, config.shots,
                                                  config.query_shots), jit_compile=xla)
        seed = tf.constant([0, 1], tf.int64)
        tf.nest.map_structure(lambda t: t.numpy(), sampler(seed))
        t0 = time.perf_counter()
        for _ in range(20):
            tf.nest.map_structure(lambda t: t.numpy(), sampler(seed))
        row["sampler_ms_per_meta_batch"] = 1e3 * (time.perf_counter() - t0) / 20
    return row


def cpu_model(cpuinfo: pathlib.Path = pathlib.Path("/proc/cpuinfo")) -> str:
    """The CPU's model name (Linux's /proc/cpuinfo), so that a table says which machine it ran
    on; the architecture name where the file is absent."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def count_flops(experiment: str, order: str) -> float:
    """GFLOP of one meta-iteration of this config: the tiled form's XLA HLO, whatever form runs."""
    from benchmark import flops, runtime

    runtime.configure(1)
    method, sample, config = _setup(experiment, order, "tiled", True, 1)
    return flops.per_iteration(method.training_loss, method.init(0), sample, config) / 1e9


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


SINUSOID_FORMULATION = "vectorized"  # the one training uses (params.yaml sinusoid.methods)

FEWSHOT_GRID = [  # (experiment, order, formulation, xla, oneDNN or None: the experiment's, threads,
    # across_ops: the threads across independent ops (the loop's tasks), each op on one; runtime)
    ("omniglot_5w1s", "second", "tiled", True, None, 1, False),
    ("omniglot_5w1s", "first", "tiled", True, None, 1, False),
    ("omniglot_5w1s", "second", "loop", False, None, 1, False),
    ("omniglot_5w1s", "first", "loop", False, None, 1, False),
    ("omniglot_5w1s", "second", "loop", False, True, 1, False),
    ("omniglot_5w1s", "second", "tiled", True, None, 2, False),  # the targets' configs on both cores
    ("omniglot_5w1s", "second", "loop", False, None, 2, False),
    ("omniglot_5w1s", "first", "loop", False, None, 2, False),
    ("omniglot_5w1s", "second", "loop", False, None, 2, True),  # as training runs the loop
    ("omniglot_5w1s", "first", "loop", False, None, 2, True),
    ("omniglot_5w1s", "second", "loop", False, True, 2, True),  # oneDNN's kernels, side by side
    ("miniimagenet_5w1s", "second", "loop", False, None, 1, False),
    ("miniimagenet_5w1s", "first", "loop", False, None, 1, False),
    ("miniimagenet_5w1s", "second", "loop", False, False, 1, False),
    ("miniimagenet_5w1s", "second", "loop", False, None, 2, False),
    ("miniimagenet_5w1s", "second", "loop", False, None, 2, True),
    ("miniimagenet_5w1s", "first", "loop", False, None, 2, True),
    ("omniglot_5w1s_mlp", "second", "tiled", True, None, 1, False),
    ("omniglot_5w1s_mlp", "second", "vectorized", True, None, 1, False),
    ("omniglot_5w5s", "second", "tiled", True, None, 1, False),
    ("omniglot_5w5s", "second", "loop", False, None, 1, False),
    ("omniglot_5w5s", "second", "loop", False, False, 1, False),  # Eigen's kernels, against oneDNN's
    ("omniglot_5w5s", "second", "loop", False, None, 2, True),  # a long run alone on the machine
    ("omniglot_20w1s", "second", "tiled", True, None, 1, False),
    ("omniglot_20w1s", "second", "loop", False, None, 1, False),
    ("omniglot_20w1s", "second", "loop", False, False, 1, False),
    ("omniglot_20w1s", "second", "loop", False, None, 2, True),
    ("omniglot_20w5s", "second", "tiled", True, None, 1, False),
    ("omniglot_20w5s", "second", "loop", False, None, 1, False),
    ("omniglot_20w5s", "second", "loop", False, False, 1, False),
    ("miniimagenet_5w5s", "second", "loop", False, None, 1, False),
]


def grid(quick: bool, experiment: str = "sinusoid") -> list[dict]:
    if experiment == "fewshot":
        return [{"experiment": e, "order": o, "formulation": f, "xla": x, "onednn": d,
                 "per_call": 3, "threads": t, "across_ops": a}
                for e, o, f, x, d, t, a in FEWSHOT_GRID[: 1 if quick else None]]
    rows = []
    for order, (formulation, xla, per_call) in itertools.product(
        ("second", "first"),
        [("vectorized", True, 1000), ("tiled", True, 1000), ("tiled", True, 1), ("tiled", False, 1),
         ("loop", True, 1000), ("loop", False, 1)],
    ):
        if quick and (formulation, xla, per_call) != (SINUSOID_FORMULATION, True, 1000):
            continue
        rows.append({"order": order, "formulation": formulation, "xla": xla,
                     "per_call": per_call, "threads": 1})
    rows.append({"order": "second", "formulation": SINUSOID_FORMULATION, "xla": True,
                 "per_call": 1000, "threads": 2})
    return rows


CONFIG_HEADER = (f"{'experiment':18} {'order':7} {'form':6} {'xla':5} {'dnn':5} {'it/call':>7} "
                 f"{'thr':>4}")


def config_text(r: dict) -> str:
    """A measured row's configuration, in the columns of CONFIG_HEADER."""
    return (f"{r['experiment']:18} {r['order']:7} {r['formulation']:6} {str(r['xla']):5} "
            f"{str(r['onednn']):5} {r['per_call']:>7} "
            f"{str(r['threads']) + ('x' if r.get('across_ops') else ''):>4}")


def median_round(runs: list[dict]) -> dict:
    """One configuration's rounds as one row: the round with the median time (the lower middle
    one for an even count, so the row is a real measurement), every round's time, and the
    highest peak memory."""
    if not runs:
        raise ValueError("no rounds to combine")
    times = [r["ms_per_iteration"] for r in runs]
    row = dict(next(r for r in runs if r["ms_per_iteration"] == statistics.median_low(times)))
    row["ms_per_iteration_rounds"] = times
    row["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=pathlib.Path, help="write the results as JSON here")
    parser.add_argument("--quick", action="store_true", help="only the default formulation")
    parser.add_argument("--profile", help="params.yaml profile; 'smoke' implies --quick")
    parser.add_argument("--experiment", choices=("sinusoid", "fewshot"), default="sinusoid")
    parser.add_argument("--rounds", type=int, default=3,
                        help="times the grid runs, interleaved; rows report the median round "
                             "(default 3; 1 with --quick or the smoke profile)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one config, JSON in/out
    args = parser.parse_args(argv)

    if args.one:  # internal: one measurement in this process, its JSON on the last line
        cfg = json.loads(args.one)
        probe = cfg.pop("probe", "speed")
        if probe == "matmul_peak":
            from benchmark import flops, runtime

            runtime.configure(cfg["threads"])
            result = flops.matmul_peak(tuple(cfg["sizes"]))
        elif probe == "flops":
            result = count_flops(**cfg)
        elif cfg.get("experiment", "sinusoid") != "sinusoid":
            result = measure(**cfg, repeats=3)
        else:
            result = measure(**cfg, repeats=max(3, 3000 // cfg["per_call"])
                             if cfg["per_call"] == 1 else 5)
        print(json.dumps(result))
        return

    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    args.quick = args.quick or args.profile == "smoke"
    rounds = 1 if args.quick else args.rounds
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}

    def run_one(**cfg):
        out = subprocess.run([sys.executable, "-m", "benchmark.speed", "--one", json.dumps(cfg)],
                             capture_output=True, text=True, env=env, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    from benchmark import flops

    cores = os.cpu_count()
    sizes = [2048] if args.quick else [2048, 4096]
    peak_1 = run_one(probe="matmul_peak", threads=1, sizes=sizes)
    peak = run_one(probe="matmul_peak", threads=cores, sizes=sizes)
    print(f"float32 matmul peak ({'/'.join(map(str, sizes))} squared): {peak_1:.1f} GFLOP/s on 1 "
          f"thread, {peak:.1f} on {cores}; floor: the meta-iteration's FLOPs at the {cores}-thread "
          f"peak")
    gflop = {}  # per (experiment, order): every formulation computes the same meta-iteration
    configs = grid(args.quick, args.experiment)
    measured = [[] for _ in configs]
    print(f"{'round':5} {CONFIG_HEADER} {'ms/it':>8} {'peak MB':>8}")
    for round_ in range(rounds):  # interleaved, see the module docstring
        for cfg, runs in zip(configs, measured, strict=True):
            r = run_one(**cfg)
            runs.append(r)
            print(f"{round_ + 1:>5} {config_text(r)} {r['ms_per_iteration']:>8.3f} "
                  f"{r['peak_rss_mb']:>8.0f}", flush=True)
    results = []
    print(f"\nmedian of {rounds} round{'s' * (rounds > 1)}:")
    print(f"{CONFIG_HEADER} {'ms/it':>8} {'spread':>17} {'peak MB':>8} {'sampler ms':>10} "
          f"{'GFLOP/it':>9} {'GFLOP/s':>8} {'floor ms':>8}")
    for runs in measured:
        r = median_round(runs)
        key = (r["experiment"], r["order"])
        if key not in gflop:
            gflop[key] = run_one(probe="flops", experiment=key[0], order=key[1])
        r["gflop_per_iteration"] = gflop[key]
        r["gflop_per_s"] = gflop[key] / r["ms_per_iteration"] * 1e3
        r["floor_ms"] = flops.floor_ms(gflop[key], peak)
        results.append(r)
        low, high = min(r["ms_per_iteration_rounds"]), max(r["ms_per_iteration_rounds"])
        sampler = r.get("sampler_ms_per_meta_batch")
        print(f"{config_text(r)} {r['ms_per_iteration']:>8.3f} {f'{low:.3f}-{high:.3f}':>17} "
              f"{r['peak_rss_mb']:>8.0f} {'' if sampler is None else f'{sampler:.2f}':>10} "
              f"{r['gflop_per_iteration']:>9.4f} {r['gflop_per_s']:>8.1f} {r['floor_ms']:>8.3f}",
              flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({
            "config": ("sinusoid, meta-batch 25, K=10 (+10 query), 1 inner step, 1-40-40-1 MLP"
                       if args.experiment == "sinusoid" else
                       "few-shot paper configs of params.yaml, synthetic images"),
            "machine": {"cpus": cores, "python": platform.python_version(),
                        "processor": platform.machine(), "cpu_model": cpu_model(),
                        "matmul_sizes": sizes,
                        "matmul_gflop_per_s_per_thread": peak_1,
                        "matmul_gflop_per_s_all_cores": peak},
            "profile": args.profile, "quick": args.quick, "rounds": rounds, "results": results,
        }, indent=1) + "\n")


if __name__ == "__main__":
    main()
