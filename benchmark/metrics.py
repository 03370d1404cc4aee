"""Summary statistics as the reference reports them, plus what it hides (divergent tasks)."""
import numpy as np


def mean_ci95(values) -> tuple[float, float]:
    """Mean and 95% confidence half-width 1.96·std/√n (np.std, ddof=0, as cbfinn/maml)."""
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(1.96 * values.std() / np.sqrt(values.size))


def summarize_tasks(values) -> dict:
    """Per-task scores -> {mean, ci95, std, n, median, nonfinite}.

    The mean and CI are over every task, as the reference computes them; when a task's score is
    NaN or infinite (fine-tuning diverged) they are None rather than a number that JSON cannot
    hold, and `nonfinite` counts those tasks. The median is over the finite tasks; it shows what
    a typical task gets when a few diverging ones dominate the mean.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    mean, ci95 = mean_ci95(values) if finite.all() else (None, None)
    return {
        "mean": mean, "ci95": ci95, "std": float(values.std()) if finite.all() else None,
        "n": int(values.size), "median": float(np.median(values[finite])) if finite.any() else None,
        "nonfinite": int((~finite).sum()),
    }
