"""Make a race happen on purpose: run a rival just before (or after) a named function, once.

In the spirit of saleor's tests/race_condition.py: the interleaving that is rare in production is made
certain in the test, so the test proves the guard rather than hoping to hit the window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock


@contextmanager
def run_before(target: str, rival: Callable[[], object]) -> Iterator[list]:
    """Patch `target` ("module.function") so that its first call runs `rival()` first. Yields the list of
    the rival's results (empty if the target was never called)."""
    results: list = []
    started = False
    original = mock.patch(target).get_original()[0]

    def wrapper(*args, **kwargs):
        nonlocal started
        if not started:
            started = True  # the rival itself calls the target: it must go straight through
            results.append(rival())
        return original(*args, **kwargs)

    # A plain function (not a Mock) so that, patched onto a class, it is bound like the method it replaces.
    with mock.patch(target, new=wrapper):
        yield results
