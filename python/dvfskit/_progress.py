"""Progress reporting for long work (grouped fits, compare): a ``tqdm.auto`` bar or a callable."""
from __future__ import annotations

from typing import Any, Callable, Union

ProgressOption = Union[None, bool, Callable[[int, int], None]]

DELAY_S = 1.0  # with progress=None a bar appears only once the work has run this long


def check(progress: Any) -> ProgressOption:
    """``progress`` validated: None (a bar only for long work), True, False or a callable."""
    if progress is None or isinstance(progress, bool) or callable(progress):
        return progress
    raise ValueError(f"progress must be True, False, None or a callable(done, total), got {progress!r}")


class Progress:
    """``update(done)`` reports ``done`` of ``total`` units: to ``progress(done, total)`` when it is
    a callable, else to a ``tqdm.auto`` bar (shown at once with True, after ``DELAY_S`` seconds
    with None, never with False). Use as a context manager (the bar closes on exit)."""

    def __init__(self, progress: ProgressOption, total: int, desc: str, unit: str) -> None:
        self._callback = progress if callable(progress) else None
        self._total = total
        self._bar: Any = None
        self._done = 0
        if self._callback is None and progress is not False and total > 0:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, unit_scale=True, delay=0.0 if progress else DELAY_S)

    @property
    def enabled(self) -> bool:
        """Whether anything is reported (a caller may then cut its work into chunks)."""
        return self._callback is not None or self._bar is not None

    def update(self, done: int) -> None:
        if self._callback is not None:
            self._callback(done, self._total)
        elif self._bar is not None:
            self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
