"""Progress bars on stderr for long commands (imports, re-scoring every lead).

Shown only when stderr is a terminal and the command was not asked to be quiet: piped or
redirected output, and scripts, get no bar at all.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

import typer


class Bars:
    """One bar per phase of the work (storage.progress.Progress), each replacing the last."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self._bar: Any = None

    def start(self, phase: str, total: int) -> None:
        self.close()
        if self.enabled:
            self._bar = typer.progressbar(
                length=max(total, 1),
                label=f"{phase:<16}",
                file=sys.stderr,
                show_pos=True,
                show_percent=True,
            )
            self._bar.__enter__()

    def advance(self, steps: int) -> None:
        if self._bar is not None:
            self._bar.update(steps)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self) -> Bars:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
