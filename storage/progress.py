"""How long-running storage work (imports, re-scoring every lead) reports how far it is."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told how far the work is: a phase starts with its total, then advances."""

    def start(self, phase: str, total: int) -> None: ...

    def advance(self, steps: int) -> None: ...


class Silent:
    """Progress that nobody watches."""

    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, steps: int) -> None:
        pass
