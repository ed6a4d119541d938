"""Jinja2 texts in flows: compiled in a sandbox at load time, rendered with what is known.

A template may use `lead.<field>` and `answers.<dimension or step id>` (the read-back
summary of an answer). Unknown names are rejected when the flow is loaded; a value that
is not known yet renders as empty text, so a question never fails at run time.
"""

from __future__ import annotations

import weakref
from functools import cache
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateError, TemplateSyntaxError, nodes
from jinja2.meta import find_undeclared_variables
from jinja2.sandbox import SandboxedEnvironment

from storage.models import LeadBase

TEMPLATE_NAMES = frozenset({"lead", "answers"})
LEAD_TEMPLATE_FIELDS = frozenset({*LeadBase.model_fields, "first_name"})
# The compiled texts known not to use `answers`: rendered without looking them up.
_WITHOUT_ANSWERS: weakref.WeakSet[Template] = weakref.WeakSet()


class TemplateProblem(Exception):
    """A template that cannot be used; `line` is relative to the template's first line."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@cache
def environment() -> SandboxedEnvironment:
    """The one sandbox every flow text is compiled in (no file access, no unsafe attributes)."""
    return SandboxedEnvironment(
        undefined=ChainableUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True
    )


def _check_names(tree: nodes.Template) -> set[str]:
    names = find_undeclared_variables(tree)
    unknown = sorted(names - TEMPLATE_NAMES)
    if unknown:
        raise TemplateProblem(
            f"unknown name {unknown[0]!r}; templates may use: " + ", ".join(sorted(TEMPLATE_NAMES))
        )
    for node in tree.find_all(nodes.Getattr):
        target = node.node
        if isinstance(target, nodes.Name) and target.name == "lead":
            if node.attr not in LEAD_TEMPLATE_FIELDS:
                raise TemplateProblem(f"unknown lead field 'lead.{node.attr}'", node.lineno)
    return names


def compile_text(source: str) -> Template:
    """Compile one flow text; syntax errors and unknown names raise `TemplateProblem`."""
    env = environment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}", exc.lineno) from exc
    names = _check_names(tree)
    template = env.from_string(source)
    if "answers" not in names:
        _WITHOUT_ANSWERS.add(template)
    return template


def reads_answers(template: Template) -> bool:
    """Whether the text may use `answers` (what is known must then be looked up for it)."""
    return template not in _WITHOUT_ANSWERS


def lead_context(lead: Any) -> dict[str, Any]:
    """The `lead` mapping templates see: the lead's descriptive fields plus `first_name`."""
    data = {name: getattr(lead, name, None) for name in LeadBase.model_fields}
    name = (data.get("name") or "").strip()
    data["first_name"] = name.split()[0] if name else ""
    return data


def render_text(
    template: Template, *, lead: dict[str, Any], answers: dict[str, str], fallback: str
) -> str:
    """Render a compiled flow text; if the data makes it fail, show `fallback` instead."""
    try:
        return template.render(lead=lead, answers=answers).strip()
    except (TemplateError, TypeError, ValueError, ArithmeticError):
        # e.g. `{{ lead.employee_count * 2 }}` while the count is unknown
        return fallback
