"""The speed table: our fastest meta-iteration per paper config next to the project's targets, the
fastest correct public implementation measured on these machines, and the FLOP floor.

The targets and the public implementations' times are the issues' measurements on the same 2-core
machines (issue 3: sinusoid; issue 4: few-shot); our times and floors come from
results/speed/*.json (`benchmark.speed`).
"""
import dataclasses

from benchmark import flops


@dataclasses.dataclass(frozen=True)
class Reference:
    label: str
    experiment: str
    order: str
    target_ms: float | None  # the target (None: it sets none)
    peer_ms: float | None  # the fastest correct public implementation (None: not measured)
    peer: str


REFERENCES = [
    Reference("sinusoid, second order", "sinusoid", "second", 0.3, 0.32, "JAX vmap+jit"),
    Reference("sinusoid, first order", "sinusoid", "first", None, None, "not measured"),
    Reference("Omniglot 5w1s, second order", "omniglot_5w1s", "second", 60, 250,
              "learn2learn / JAX unrolled"),
    Reference("Omniglot 5w1s, first order", "omniglot_5w1s", "first", 40, 57, "JAX unrolled"),
    Reference("MiniImageNet 5w1s, second order", "miniimagenet_5w1s", "second", 800, 1590,
              "torch.func loop"),
]


def rows(results: list[dict]) -> list[dict]:
    """Per reference config: our fastest row of the speed benchmark, with its roofline."""
    out = []
    for ref in REFERENCES:
        best = _fastest(results, ref.experiment, ref.order)
        if best is not None:
            out.append({"reference": ref, "best": best})
    return out


def _fastest(results: list[dict], experiment: str, order: str) -> dict | None:
    """The row of this (experiment, order) with the fewest ms per iteration (None: not measured)."""
    ours = [r for r in results if (r["experiment"], r["order"]) == (experiment, order)]
    return min(ours, key=lambda r: r["ms_per_iteration"]) if ours else None


def markdown(results: list[dict], peak: float, peak_one_thread: float, cores: int) -> str:
    """The table; peak: the float32 matmul GFLOP/s of all cores together (the floor's rate)."""
    lines = [
        "| config (paper's) | ours, ms/it | how | target | fastest correct peer | "
        "GFLOP/it | floor, ms | ours / floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows(results):
        ref, r = row["reference"], row["best"]
        how = _how(r)
        peer = "—" if ref.peer_ms is None else f"{_ms(ref.peer_ms)} ({ref.peer})"
        floor = flops.floor_ms(r["gflop_per_iteration"], peak)
        target = "—" if ref.target_ms is None else _target(ref.target_ms, r["ms_per_iteration"],
                                                           floor)
        lines.append(
            f"| {ref.label} | {_ms(r['ms_per_iteration'])}{_spread(r)} | {how} | {target} | "
            f"{peer} | {r['gflop_per_iteration']:.3g} | {_ms(floor)} | "
            f"{r['ms_per_iteration'] / floor:.1f}× |")
    lines.append("")
    lines.append(
        f"Floor: the meta-iteration's FLOPs (dots and convolutions of XLA's optimised HLO; "
        f"element-wise work left out) at {peak:.0f} GFLOP/s, the float32 matmul peak of all "
        f"{cores} cores together (best of large square matmuls; one thread alone reaches "
        f"{peak_one_thread:.0f}). No float32 formulation runs faster than its floor, so a target "
        f"below it cannot be met on these machines; \"% of peak\" is the share of that peak a "
        f"target demands, where real conv nets reach far less. The targets and the peers' times "
        f"are the issues', measured on one machine of this kind whose peak they do not record; "
        f"machines of this kind have measured as little as 123 GFLOP/s here (the git history of "
        f"results/speed/sinusoid.json), so a row's \"ours / floor\" is the figure that carries "
        f"from one machine to another. "
        f"Ours: the fastest configuration of `python -m benchmark.speed` (results/speed/), its "
        f"median round where it ran several (interleaved; the range in brackets).")
    return "\n".join(lines)


PAPER_ITERATIONS = {"sinusoid": 70_000}  # the paper's meta-training budget; few-shot: 60,000


def cost_markdown(results: list[dict]) -> str:
    """Per experiment and order: the fastest configuration, its peak memory, the episode
    sampler's time, and what the paper's budget costs at that speed (one run, one seed)."""
    lines = ["| experiment | order | fastest, ms/it | how | peak memory, MB | episode sampler, ms | "
             "paper budget | time at this speed |", "|---|---|---|---|---|---|---|---|"]
    keys = dict.fromkeys((r["experiment"], r["order"]) for r in results)
    for experiment, order in keys:
        best = _fastest(results, experiment, order)
        budget = PAPER_ITERATIONS.get(experiment, 60_000)
        sampler = best.get("sampler_ms_per_meta_batch")
        lines.append(f"| {experiment} | {order} | {_ms(best['ms_per_iteration'])} | {_how(best)} | "
                     f"{best['peak_rss_mb']:.0f} | {'—' if sampler is None else f'{sampler:.1f}'} | "
                     f"{budget:,} | {_duration(best['ms_per_iteration'] * budget / 1e3)} |")
    lines += ["", "Peak memory: the benchmark process's peak resident set (TensorFlow included), "
              "measured in its own process per configuration. Episode sampler: one meta-batch of "
              "the few-shot sampler alone, compiled as the fastest configuration's training chunk "
              "draws it (with XLA or as a plain graph), a small share of the meta-iteration, so "
              "training never waits on data."]
    return "\n".join(lines)


def threads_markdown(results: list[dict]) -> str:
    """Configurations measured on one thread and on every core: what a run alone on the machine
    gains ("" when none was measured both ways)."""
    def key(r):
        return (r["experiment"], r["order"], r["formulation"], r["xla"], r.get("onednn"))

    one = {key(r): r for r in results if r["threads"] == 1}
    lines = []
    for r in results:
        base = one.get(key(r))
        if r["threads"] > 1 and base is not None:
            how = _how(r, threads=False)
            lines.append(f"| {r['experiment']} | {r['order']} | {how} | "
                         f"{_ms(base['ms_per_iteration'])} | {_ms(r['ms_per_iteration'])} "
                         f"({r['threads']} threads) | "
                         f"{base['ms_per_iteration'] / r['ms_per_iteration']:.2f}× |")
    if not lines:
        return ""
    return "\n".join(["| experiment | order | form | 1 thread | every core | speed-up |",
                      "|---|---|---|---|---|---|", *lines])


def _how(r: dict, threads: bool = True) -> str:
    """'loop, 2 threads, tasks side by side, oneDNN': a row's configuration (without the thread
    count: `threads`; "tasks side by side": the threads across ops, see runtime.configure)."""
    parts = [f"{r['formulation']}{' + XLA' if r['xla'] else ''}"]
    if threads:
        parts.append(f"{r['threads']} thread{'s' if r['threads'] > 1 else ''}")
    if r.get("across_ops"):
        parts.append("tasks side by side")
    if r.get("onednn"):
        parts.append("oneDNN")
    return ", ".join(parts)


def _spread(r: dict) -> str:
    """' (min–max, n rounds)' of a row measured in several rounds, else ''."""
    rounds = r.get("ms_per_iteration_rounds", [])
    if len(rounds) < 2:
        return ""
    return f" ({_ms(min(rounds)).removesuffix(' ms')}–{_ms(max(rounds))}, {len(rounds)} rounds)"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _target(target_ms: float, ours_ms: float, floor_ms: float) -> str:
    """The target, whether our fastest meets it, and how hard it is: the share of the machine's
    peak it demands, or that no formulation can meet it (below the FLOP floor)."""
    verdict = "met" if ours_ms <= target_ms else f"**missed** by {_ms(ours_ms - target_ms)}"
    hardness = ("**below the floor**" if target_ms <= floor_ms
                else f"{floor_ms / target_ms:.0%} of peak")
    return f"≤ {_ms(target_ms)}: {verdict} ({hardness})"


def _ms(ms: float) -> str:
    """Three significant figures, so that a time just past a round target does not read as it."""
    return f"{ms:.3g} ms" if ms < 100 else f"{ms:.0f} ms"
