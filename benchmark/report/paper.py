"""The paper's sinusoid numbers, each with its source, confidence and regression tolerance.

Confidence grades as ../shared/reference/maml_paper.md: A = exact from the paper text; D = read
off a figure, a band rather than a number.

Tolerances (one-sided: lower MSE is better, only "worse than the paper" is a regression):
  allowed = paper_high * (1 + rel) + min(2 * our_ci95, rel * paper_high)
- `2 * our_ci95` absorbs the sampling noise of our own 600-task estimate. It is capped at
  `rel * paper_high`: a few diverging tasks inflate the CI without bound, and an uncapped noise
  term would let exactly those cells pass. A cell whose mean is not finite always fails.
- MAML and FOMAML cells: rel = 0.25. The paper's value is a single run with no CI; run-to-run
  variation of one MAML run on 600 tasks and K query points is ~10-20% here, and 0.25 leaves room
  for that without hiding a real regression (a broken second-order gradient or inner loop costs
  2-5x, see the pretrained row).
- Baseline cells: rel = 0.5. Their step sizes and regularisation strengths are not given in the
  paper, so our choices legitimately differ more.
- Figure readings (grade D) are bands: the tolerance applies to the band's upper edge.
- Known deviations (KNOWN_DEVIATIONS) are judged on what their reason claims, not on the mean
  the reason explains: the median task must be within the cell's tolerance (with no noise term),
  and at most MAX_DIVERGED_SHARE of the test tasks (all seeds) may diverge to non-finite. A
  few tasks whose fine-tuning diverges take the mean past float range (1e32 or inf: the same
  event), so "finite mean" is no test of the claim; a median beyond tolerance or many diverged
  tasks says the documented explanation no longer holds, and the gate fails.
"""
import dataclasses
import math

TABLE2 = "paper appendix C.1, Table 2 (5-shot MSE)"
FIG3 = "paper Fig. 3/6 read off the figure (D): a band, see shared/reference §3.1"


@dataclasses.dataclass(frozen=True)
class PaperValue:
    method: str
    shots: int
    steps: int
    low: float
    high: float
    source: str
    confidence: str

    @property
    def value(self) -> float:
        return (self.low + self.high) / 2

    def text(self) -> str:
        if self.low == self.high:
            return f"{self.low:.2f}"
        return f"≈{self.low:.2f}–{self.high:.2f}"


def _exact(method, shots, steps, value, source=TABLE2):
    return PaperValue(method, shots, steps, value, value, source, "A")


def _band(method, shots, steps, low, high):
    return PaperValue(method, shots, steps, low, high, FIG3, "D")


SINUSOID = [
    _exact("maml", 5, 1, 0.67), _exact("maml", 5, 5, 0.38), _exact("maml", 5, 10, 0.35),
    _exact("pretrained", 5, 1, 2.41), _exact("pretrained", 5, 5, 2.23),
    _exact("pretrained", 5, 10, 2.19),
    _exact("multitask_none", 5, 1, 4.19), _exact("multitask_none", 5, 5, 3.85),
    _exact("multitask_none", 5, 10, 3.69),
    _exact("multitask_l2", 5, 1, 7.18), _exact("multitask_l2", 5, 5, 5.69),
    _exact("multitask_l2", 5, 10, 5.60),
    _exact("multitask_mean", 5, 1, 2.91), _exact("multitask_mean", 5, 5, 2.72),
    _exact("multitask_mean", 5, 10, 2.71),
    # Fig. 3 / Fig. 6: the x axis runs 0..9 steps, so "after 9 steps" is the last point.
    _band("maml", 10, 0, 2.8, 3.2), _band("maml", 10, 1, 0.3, 0.5), _band("maml", 10, 9, 0.1, 0.2),
    _band("pretrained", 10, 1, 2.1, 2.4), _band("pretrained", 10, 9, 1.5, 1.8),
    _band("oracle", 10, 0, 0.0, 0.05),
    _band("maml", 20, 0, 2.8, 3.2), _band("maml", 20, 1, 0.15, 0.25),
    _band("maml", 20, 9, 0.05, 0.15), _band("pretrained", 20, 9, 1.0, 1.2),
    _band("oracle", 20, 0, 0.0, 0.05),
    _band("maml", 5, 0, 2.8, 3.0), _band("oracle", 5, 0, 0.0, 0.05),
]

# Our rows compared with another row of the paper: the same algorithm with another setting.
COMPARED_AS = {"maml_reference_lr": "maml"}

# Cells where our faithful run is known to differ from the paper, each with the reason. The gate
# shows them and does not fail on them; every other cell must pass.
_SHARP_INIT = ("alpha = 0.01 (paper) meta-learns a sharp init: 5-shot fine-tuning stops improving "
               "after 2 steps and diverges on a few of the 600 tasks by step 10, which dominates "
               "the mean; the paper's curve is matched by the reference code's alpha = 0.001 "
               "(row maml_reference_lr)")
_SMALL_STEP = ("alpha = 0.001 (reference code) takes a tenth of the paper's inner step, so after "
               "one step it is behind the alpha = 0.01 curve the paper plots, at every K (compare "
               "row maml's one-step cells); it catches up by step 5")
_MEAN_PULL = ("the paper gives no weight for the pull towards the running mean; with ours (every "
              "regressor still meets the paper's MSE < 0.02) the average fine-tunes to about the "
              "error of our other averaging baselines, well above the paper's; the median task is "
              "near the paper's mean, so a few high-amplitude tasks carry the gap")
KNOWN_DEVIATIONS = {
    ("maml", 5, 5): _SHARP_INIT, ("maml", 5, 10): _SHARP_INIT,
    ("multitask_mean", 5, 1): _MEAN_PULL, ("multitask_mean", 5, 5): _MEAN_PULL,
    ("multitask_mean", 5, 10): _MEAN_PULL,
    ("maml_reference_lr", 5, 1): _SMALL_STEP, ("maml_reference_lr", 10, 1): _SMALL_STEP,
    ("maml_reference_lr", 20, 1): _SMALL_STEP,
}
MAX_DIVERGED_SHARE = 0.01  # "a few of the test tasks": at most 1% of them, over all seeds

REL_TOLERANCE = {"maml": 0.25, "fomaml": 0.25, "maml_reference_lr": 0.25}
BASELINE_REL_TOLERANCE = 0.5


def tolerance(method: str) -> float:
    return REL_TOLERANCE.get(method, BASELINE_REL_TOLERANCE)


def allowed(value: PaperValue, our_ci95: float) -> float:
    """The largest of our MSEs that is not a regression against this paper value."""
    rel = tolerance(value.method)
    return value.high * (1 + rel) + min(2 * our_ci95, rel * value.high)


def deviation_holds(value: PaperValue, median: float, nonfinite: int, tasks: int) -> bool:
    """Whether a known deviation is still the documented one: the median task within tolerance,
    and at most MAX_DIVERGED_SHARE of the `tasks` (all seeds) diverged."""
    return (math.isfinite(median) and median <= allowed(value, 0.0)
            and nonfinite <= diverged_allowed(tasks))


def diverged_allowed(tasks: int) -> int:
    """How many of `tasks` test tasks a known deviation may see diverge."""
    return int(MAX_DIVERGED_SHARE * tasks)
