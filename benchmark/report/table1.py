"""The paper's Table 1 (few-shot classification accuracy, %) and the gate's tolerance for it.

Values: ../shared/reference/maml_paper.md §1.1 and §1.3 (grade A, exact from the paper). The
paper reports no Omniglot number for first-order MAML; those cells show ours only, and the gate
holds them at our own accepted result instead (ACCEPTED, below).

Tolerance (one-sided: only "below the paper" is a regression), in percentage points:
  allowed = paper - (REPLICATION + min(2 * our_ci95, CI_CAP) + budget allowance)
- REPLICATION = 2 pp: independent re-runs of the same method differ by about this much (the
  reference doc lists 5-way 1-shot reproductions from 97.1% to 99.1%, Mini 1-shot 45-48.7%).
- min(2 * our CI, 2 pp): our own 600-task sampling noise, capped so that a wide CI from a broken
  model cannot widen the allowance without bound.
- BUDGET_ALLOWANCE = 3 pp when a run stopped before the paper's 60,000 iterations (the table
  says how many it ran): fewer iterations cost accuracy, but a broken inner loop or meta-gradient
  costs tens of points, which this still catches.

Known deviations (KNOWN_DEVIATIONS): a cell below its tolerance that has been investigated and
written down (the reason gives the cause where one was found, and the evidence either way). The
table marks it † with the reason, and the gate holds it at the deviation's own floor instead of
the paper's, so the cell still catches regressions; a cell that climbs back within the paper's
tolerance is simply ok again.
"""
import dataclasses

REPLICATION, CI_CAP, BUDGET_ALLOWANCE = 2.0, 2.0, 3.0
SOURCE = "paper Table 1 / appendix Table 3 (grade A)"


@dataclasses.dataclass(frozen=True)
class Cell:
    method: str  # a key of fewshot.methods
    experiment: str
    accuracy: float  # %
    ci95: float  # %


PAPER = [
    Cell("maml", "omniglot_5w1s", 98.7, 0.4), Cell("maml", "omniglot_5w5s", 99.9, 0.1),
    Cell("maml", "omniglot_20w1s", 95.8, 0.3), Cell("maml", "omniglot_20w5s", 98.9, 0.2),
    Cell("maml", "omniglot_5w1s_mlp", 89.7, 1.1), Cell("maml", "omniglot_5w5s_mlp", 97.5, 0.6),
    Cell("maml", "miniimagenet_5w1s", 48.70, 1.84), Cell("maml", "miniimagenet_5w5s", 63.11, 0.92),
    Cell("fomaml", "miniimagenet_5w1s", 48.07, 1.75),
    Cell("fomaml", "miniimagenet_5w5s", 63.15, 0.91),
    Cell("context_vector", "omniglot_5w1s", 94.9, 0.9),
    Cell("context_vector", "omniglot_5w5s", 97.7, 0.3),
    # Ravi & Larochelle's baselines, quoted in Table 1 (not re-run by the MAML authors).
    Cell("finetune", "miniimagenet_5w1s", 28.86, 0.54),
    Cell("finetune", "miniimagenet_5w5s", 49.79, 0.79),
    Cell("nearest_neighbour", "miniimagenet_5w1s", 41.08, 0.70),
    Cell("nearest_neighbour", "miniimagenet_5w5s", 51.04, 0.65),
]
# MAML and first-order MAML run on every setting; the baselines only where the paper has them.
EVERY_SETTING = ("maml", "fomaml")

COLUMNS = {
    "Omniglot (conv)": ["omniglot_5w1s", "omniglot_5w5s", "omniglot_20w1s", "omniglot_20w5s"],
    "Omniglot (non-conv MLP)": ["omniglot_5w1s_mlp", "omniglot_5w5s_mlp"],
    "MiniImageNet (5-way)": ["miniimagenet_5w1s", "miniimagenet_5w5s"],
}
LABELS = {"omniglot_5w1s": "5-way 1-shot", "omniglot_5w5s": "5-way 5-shot",
          "omniglot_20w1s": "20-way 1-shot", "omniglot_20w5s": "20-way 5-shot",
          "omniglot_5w1s_mlp": "5-way 1-shot", "omniglot_5w5s_mlp": "5-way 5-shot",
          "miniimagenet_5w1s": "1-shot", "miniimagenet_5w5s": "5-shot"}


@dataclasses.dataclass(frozen=True)
class Deviation:
    reason: str  # why ours falls short of the paper, with the evidence; shown under Table 1
    floor: float  # %: the lowest accuracy the reason accounts for; below it, a regression again


# (method, experiment) -> Deviation
KNOWN_DEVIATIONS: dict[tuple[str, str], Deviation] = {
    ("maml", "omniglot_20w1s"): Deviation(
        reason=(
            "One seed at the paper's 60,000 iterations. No cause found: the setup matches the "
            "reference point by point (5 inner steps at α = 0.1, meta-batch 16, one query per "
            "class, loss sum of cross-entropies / K, batch norm with offsets and no scale, strided "
            "SAME convs, Adam ε = 1e-8, distinct characters with one rotation each). Validation "
            "(100 tasks) climbed slowly, 87-88% at 20k, 89-90% at 30k-40k, 91.4% on average over "
            "50k-60k, and was still rising. Others' re-runs of MAML fall short of the paper here "
            "too: 93.7 ± 0.7% (Raghu et al. 2020, reference §4). First-order MAML, same setting "
            "and budget, reaches 90.8 ± 0.5% (its row): the gap is common to both, so it is not "
            "in the second-order meta-gradient. A second seed would tell seed noise from a real "
            "gap. Floor: the paper's slack (2 pp + 2 × our CI) below our result."),
        floor=87.9),
}

# Cells the paper has no number for, held at our own accepted result with a paper cell's slack
# (allowed = accepted - 2 pp - min(2 × CI, 2 pp), plus the budget allowance below 60k), so that a
# change that makes them worse fails the gate as the paper's cells do. Accepted: the committed
# 60k-iteration results (one seed, 600 test tasks; results/fewshot/table1.md). Change a value only
# with the commit whose results are meant to move it, and say why there.
ACCEPTED = [
    Cell("fomaml", "omniglot_5w1s", 98.17, 0.52), Cell("fomaml", "omniglot_5w5s", 99.39, 0.14),
    Cell("fomaml", "omniglot_20w1s", 90.79, 0.51),
    Cell("fomaml", "omniglot_5w1s_mlp", 84.10, 1.53),
    Cell("fomaml", "omniglot_5w5s_mlp", 96.65, 0.35),
]


def paper_cell(method: str, experiment: str) -> Cell | None:
    return next((c for c in PAPER if c.method == method and c.experiment == experiment), None)


def accepted_cell(method: str, experiment: str) -> Cell | None:
    """Our accepted result for a cell the paper has no number for (None where it has one)."""
    if paper_cell(method, experiment):
        return None
    return next((c for c in ACCEPTED if c.method == method and c.experiment == experiment), None)


def allowed(cell: Cell, our_ci95: float, full_budget: bool) -> float:
    """The lowest accuracy (%) of ours that is not a regression against this paper (or accepted)
    cell."""
    slack = REPLICATION + min(2 * our_ci95, CI_CAP) + (0.0 if full_budget else BUDGET_ALLOWANCE)
    return cell.accuracy - slack
