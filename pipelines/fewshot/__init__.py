"""DVC stages of the few-shot classification experiments (paper §5.2, Table 1)."""
import sys
from collections.abc import Callable

from benchmark.datasets import DataError


def run_data_stage(stage: str, work: Callable[[], None]) -> int:
    """Run a data stage: a DataError becomes one message on stderr and exit status 1."""
    try:
        work()
    except DataError as e:
        print(f"{stage}: {e}", file=sys.stderr)
        return 1
    return 0
