"""The paper's baselines, each a `benchmark.algorithms.base.Method` like MAML itself."""
