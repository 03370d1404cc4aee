"""DVC stages of the few-shot classification experiments (paper §5.2, Table 1)."""
