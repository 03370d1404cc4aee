"""Random initialisation: no training; fine-tuned from the init at test time (tuned step size)."""
from benchmark.algorithms.base import Method


class RandomInit(Method):
    name = "random_init"

    def fit(self, params, sample, config, run):
        return params, [], {"iterations": 0, "wall_time_s": 0.0}
