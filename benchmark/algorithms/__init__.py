"""Meta-learning algorithms over functional models: one inner loop, one Method protocol."""
