"""Qualification flows: loading (validated) and the registry of loaded flows.

A flow is data: a business writes its own YAML (see dialogs/flows/default.yaml).
`load_flow` rejects a malformed file with a `FlowConfigError` that names the file,
the line and the field; the checks live in `dialogs/flowcheck.py`, the schema in
`dialogs/schema.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

from dialogs.flowcheck import build_flow
from dialogs.machine import FlowMachine
from dialogs.schema import DONE, END, HUMAN, Branch, Flow, Step
from qualification.errors import FlowConfigError, NotFound
from qualification.yamlsource import load_yaml, parse_yaml

__all__ = [
    "DONE",
    "END",
    "HUMAN",
    "Branch",
    "Flow",
    "FlowRegistry",
    "Step",
    "default_flow",
    "load_flow",
    "parse_flow",
]


def parse_flow(text: str, *, file: str) -> Flow:
    """Parse and validate a flow from YAML text; errors name `file`, the line and the field."""
    return build_flow(parse_yaml(text, file=file, error=FlowConfigError))


def load_flow(path: Path) -> Flow:
    """Load and validate a flow file; raises `FlowConfigError(file, line, field)`."""
    return build_flow(load_yaml(path, error=FlowConfigError))


def default_flow() -> Flow:
    """The shipped BANT flow (dialogs/flows/default.yaml)."""
    source = resources.files("dialogs").joinpath("flows/default.yaml")
    return parse_flow(source.read_text(encoding="utf-8"), file="dialogs/flows/default.yaml")


class FlowRegistry:
    """The flows of one process, each with its state machine built once here and then shared."""

    def __init__(self, flows: Iterable[Flow], *, default_id: str | None = None) -> None:
        self._flows: dict[str, Flow] = {}
        for flow in flows:  # a later flow with the same id replaces an earlier one
            self._flows[flow.id] = flow
        if not self._flows:
            raise FlowConfigError(file="(none)", line=None, field="flows", message="no flows")
        self._default_id = default_id or next(iter(self._flows))
        if self._default_id not in self._flows:
            raise FlowConfigError(
                file="(settings)",
                line=None,
                field="default_flow",
                message=f"no flow with id '{self._default_id}'; loaded: "
                + ", ".join(sorted(self._flows)),
            )
        self._machines = {flow_id: FlowMachine(flow) for flow_id, flow in self._flows.items()}

    def get(self, flow_id: str) -> Flow:
        try:
            return self._flows[flow_id]
        except KeyError:
            raise NotFound(f"no flow with id '{flow_id}'") from None

    @property
    def default(self) -> Flow:
        return self._flows[self._default_id]

    def machine(self, flow_id: str) -> FlowMachine:
        """The shared machine of a flow (built when the registry was created)."""
        self.get(flow_id)
        return self._machines[flow_id]

    def __iter__(self) -> Iterator[Flow]:
        return iter(self._flows.values())
