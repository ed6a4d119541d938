"""Draw a flow as a mermaid flowchart (for `baton flow check` and the docs)."""

from __future__ import annotations

from dialogs.schema import END, Flow, Step


def _label(text: str) -> str:
    """Mermaid-safe label text: no quotes, brackets or line breaks."""
    cleaned = " ".join(text.replace('"', "'").split())
    for char in "[]{}()<>|#;`":
        cleaned = cleaned.replace(char, " ")
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= 60 else cleaned[:57] + "..."


def _id(target: str) -> str:
    """Node ids are prefixed so a step id can never clash with mermaid keywords ("end")."""
    return "finish" if target == END else f"s_{target}"


def _node(step: Step) -> str:
    what = step.dimension.value if step.dimension else (step.field or step.kind.value)
    extras = [step.kind.value]
    if step.skip_if_known:
        extras.append("skip if known")
    if step.optional:
        extras.append("optional")
    return f'    {_id(step.id)}["{_label(step.id)}<br/>{_label(what)}: {", ".join(extras)}"]'


def flow_to_mermaid(flow: Flow) -> str:
    """A `flowchart TD` with one node per step; branch edges are labelled with their condition."""
    lines = ["flowchart TD", f'    start(["{_label(flow.title)}"]) --> {_id(flow.first_step.id)}']
    lines.extend(_node(step) for step in flow.steps)
    lines.append('    finish(["end: recommendation"])')
    for step in flow.steps:
        for branch in step.branches:
            label = _label(branch.describe())
            lines.append(f'    {_id(step.id)} -- "{label}" --> {_id(branch.goto)}')
        lines.append(f"    {_id(step.id)} --> {_id(step.next)}")
    return "\n".join(lines) + "\n"
