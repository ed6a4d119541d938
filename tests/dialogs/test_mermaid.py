"""Mermaid diagrams of flows."""

from __future__ import annotations

from dialogs.flow import default_flow
from dialogs.mermaid import flow_to_mermaid


def test_default_flow_diagram() -> None:
    text = flow_to_mermaid(default_flow())
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    assert '    start(["BANT qualification"]) --> s_name' in lines
    assert '    s_authority -- "not_decision_maker" --> s_decision_maker' in lines
    assert "    s_authority --> s_timeline" in lines
    assert "    s_current_tool --> finish" in lines
    for step in default_flow().steps:
        assert sum(1 for line in lines if line.startswith(f"    s_{step.id}[")) == 1
    assert "{{" not in text and '""' not in text
