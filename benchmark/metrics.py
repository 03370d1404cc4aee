"""Summary statistics as the reference reports them."""
import numpy as np


def mean_ci95(values) -> tuple[float, float]:
    """Mean and 95% confidence half-width 1.96·std/√n (np.std, ddof=0, as cbfinn/maml)."""
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(1.96 * values.std() / np.sqrt(values.size))
