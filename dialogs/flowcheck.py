"""Turn a parsed flow YAML document into a `Flow`, or say exactly what is wrong and where.

Checked: unknown or missing keys, types, answer kinds, dimensions and lead fields,
choices, conditions, duplicate step ids, references to unknown steps, loops (a flow
always moves forward, so it always ends), unreachable steps, and every Jinja2 text.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from jinja2 import Template

from dialogs.conditions import CONDITIONS
from dialogs.schema import END, OUTCOMES, Branch, Flow, Step
from dialogs.templates import TemplateProblem, compile_text
from qualification.errors import FlowConfigError
from qualification.parsers.result import AnswerKind, Choice
from qualification.stages import Dimension
from qualification.yamlsource import KeyPath, YamlDocument

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
RESERVED_IDS = frozenset({END, "done", "human"})
FLOW_KEYS = frozenset({"id", "version", "title", "greeting", "closing", "steps"})
STEP_KEYS = frozenset(
    {
        "id",
        "question",
        "kind",
        "dimension",
        "field",
        "choices",
        "reprompt",
        "help",
        "retry_cap",
        "skip_if_known",
        "optional",
        "next",
        "branches",
    }
)
DIMENSION_KINDS = {
    Dimension.BUDGET: AnswerKind.MONEY,
    Dimension.AUTHORITY: AnswerKind.ROLE,
    Dimension.NEED: AnswerKind.NEED,
    Dimension.TIMELINE: AnswerKind.TIMELINE,
}
# Lead fields a capture step may fill, and the answer kinds that can fill them.
CAPTURE_FIELDS: dict[str, frozenset[AnswerKind]] = {
    "name": frozenset({AnswerKind.TEXT}),
    "email": frozenset({AnswerKind.EMAIL}),
    "company_name": frozenset({AnswerKind.TEXT}),
    "title": frozenset({AnswerKind.TEXT, AnswerKind.CHOICE}),
    "industry": frozenset({AnswerKind.TEXT, AnswerKind.CHOICE}),
    "employee_count": frozenset({AnswerKind.NUMBER}),
    "annual_revenue": frozenset({AnswerKind.NUMBER}),
}
MAX_RETRY_CAP = 10


def dotted(path: KeyPath) -> str:
    """("steps", 2, "retry_cap") -> "steps[2].retry_cap"."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(document)"


class _Checker:
    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.templates: dict[str, Template] = {}

    def fail(self, path: KeyPath, message: str, *, line_offset: int = 0) -> NoReturn:
        line = self.doc.line_of(path)
        raise FlowConfigError(
            file=self.doc.file,
            line=line + line_offset if line is not None else None,
            field=dotted(path),
            message=message,
        )

    def mapping(self, value: Any, path: KeyPath, allowed: frozenset[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, "expected a mapping of keys to values")
        for key in value:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.fail((*path, key), f"unknown key '{key}'; allowed: {known}")
        return value

    def text(self, data: dict[str, Any], key: str, path: KeyPath, *, required: bool) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(path if key not in data else (*path, key), f"'{key}' is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail((*path, key), "expected text")
        value = str(value).strip()
        if required and not value:
            self.fail((*path, key), f"'{key}' must not be empty")
        return value

    def template(self, source: str, path: KeyPath, key: str) -> None:
        try:
            self.templates[key] = compile_text(source)
        except TemplateProblem as problem:
            self.fail(path, problem.message, line_offset=problem.line - 1)

    def flag(self, data: dict[str, Any], key: str, path: KeyPath) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.fail((*path, key), "expected true or false")
        return value

    def enum_value(self, data: dict[str, Any], key: str, path: KeyPath, enum: Any) -> Any:
        value = data.get(key)
        if value is None:
            return None
        try:
            return enum(str(value))
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            self.fail((*path, key), f"unknown {key} '{value}'; expected one of: {allowed}")

    def choices(self, value: Any, path: KeyPath) -> tuple[Choice, ...]:
        if not isinstance(value, list) or not value:
            self.fail(path, "expected a non-empty list of choices")
        out: list[Choice] = []
        for i, item in enumerate(value):
            where = (*path, i)
            if isinstance(item, str):
                item = {"value": item}
            data = self.mapping(item, where, frozenset({"value", "label", "synonyms"}))
            choice_value = self.text(data, "value", where, required=True) or ""
            label = self.text(data, "label", where, required=False) or choice_value
            synonyms = data.get("synonyms", [])
            if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
                self.fail((*where, "synonyms"), "expected a list of texts")
            if any(c.value == choice_value for c in out):
                self.fail((*where, "value"), f"duplicate choice '{choice_value}'")
            out.append(Choice(value=choice_value, label=label, synonyms=tuple(synonyms)))
        return tuple(out)

    def branches(self, value: Any, path: KeyPath) -> tuple[Branch, ...]:
        if not isinstance(value, list):
            self.fail(path, "expected a list of {when: condition, goto: step}")
        out: list[Branch] = []
        for i, item in enumerate(value):
            where = (*path, i)
            data = self.mapping(item, where, frozenset({"when", "goto"}))
            goto = self.text(data, "goto", where, required=True) or ""
            when = data.get("when")
            argument: str | None = None
            if isinstance(when, dict) and len(when) == 1:
                when, raw = next(iter(when.items()))
                argument = None if raw is None else str(raw)
            if not isinstance(when, str) or not when:
                self.fail((*where, "when"), "expected a condition name or {name: value}")
            if when not in CONDITIONS:
                self.fail(
                    (*where, "when"),
                    f"unknown condition '{when}'; known: {', '.join(sorted(CONDITIONS))}",
                )
            takes_argument = CONDITIONS[when][1]
            if takes_argument and argument is None:
                self.fail((*where, "when"), f"'{when}' needs a value, e.g. {{{when}: yes}}")
            if not takes_argument and argument is not None:
                self.fail((*where, "when"), f"'{when}' takes no value")
            out.append(Branch(when=when, goto=goto, argument=argument))
        return tuple(out)

    def step(self, item: Any, index: int, following: str) -> Step:
        path: KeyPath = ("steps", index)
        data = self.mapping(item, path, STEP_KEYS)
        step_id = self.text(data, "id", path, required=True) or ""
        if not ID_PATTERN.match(step_id) or step_id in RESERVED_IDS:
            self.fail(
                (*path, "id"),
                f"invalid step id '{step_id}': use lowercase letters, "
                "digits and _ (not 'end', 'done' or 'human')",
            )
        if "kind" not in data:
            self.fail(path, "'kind' is required")
        kind: AnswerKind = self.enum_value(data, "kind", path, AnswerKind)
        dimension: Dimension | None = self.enum_value(data, "dimension", path, Dimension)
        lead_field = self.text(data, "field", path, required=False)
        if dimension is not None and lead_field is not None:
            self.fail((*path, "field"), "a step fills either a dimension or a lead field, not both")
        if dimension is not None and kind is not DIMENSION_KINDS[dimension]:
            self.fail(
                (*path, "kind"),
                f"a {dimension.value} step must have kind '{DIMENSION_KINDS[dimension].value}'",
            )
        if lead_field is not None:
            if lead_field not in CAPTURE_FIELDS:
                self.fail(
                    (*path, "field"),
                    f"unknown lead field '{lead_field}'; allowed: "
                    + ", ".join(sorted(CAPTURE_FIELDS)),
                )
            if kind not in CAPTURE_FIELDS[lead_field]:
                allowed = ", ".join(sorted(k.value for k in CAPTURE_FIELDS[lead_field]))
                self.fail((*path, "kind"), f"field '{lead_field}' needs kind: {allowed}")
        choices: tuple[Choice, ...] = ()
        if kind is AnswerKind.CHOICE:
            if "choices" not in data:
                self.fail(path, "a choice step needs 'choices'")
            choices = self.choices(data["choices"], (*path, "choices"))
        elif "choices" in data:
            self.fail((*path, "choices"), "only steps of kind 'choice' have choices")
        optional = self.flag(data, "optional", path)
        skip_if_known = self.flag(data, "skip_if_known", path)
        if skip_if_known and dimension is None and lead_field is None:
            self.fail((*path, "skip_if_known"), "needs a 'dimension' or 'field' to know the answer")
        retry_cap = data.get("retry_cap", 0 if optional else 2)
        if (
            isinstance(retry_cap, bool)
            or not isinstance(retry_cap, int)
            or not (0 <= retry_cap <= MAX_RETRY_CAP)
        ):
            self.fail((*path, "retry_cap"), f"expected a whole number from 0 to {MAX_RETRY_CAP}")
        question = self.text(data, "question", path, required=True) or ""
        texts = {"question": question}
        for key in ("reprompt", "help"):
            value = self.text(data, key, path, required=False)
            if value is not None:
                texts[key] = value
        for key, source in texts.items():
            self.template(source, (*path, key), f"steps.{step_id}.{key}")
        next_step = self.text(data, "next", path, required=False) or following
        branches = (
            self.branches(data["branches"], (*path, "branches")) if "branches" in data else ()
        )
        return Step(
            id=step_id,
            question=question,
            kind=kind,
            dimension=dimension,
            field=lead_field,
            choices=choices,
            reprompt=texts.get("reprompt"),
            help=texts.get("help"),
            retry_cap=retry_cap,
            skip_if_known=skip_if_known,
            optional=optional,
            next=next_step,
            branches=branches,
            line=self.doc.line_of(path),
        )


def _check_graph(checker: _Checker, steps: list[Step]) -> None:
    index: dict[str, int] = {}
    for i, step in enumerate(steps):
        if index.setdefault(step.id, i) != i:
            checker.fail(("steps", i, "id"), f"duplicate step id '{step.id}'")
    for i, step in enumerate(steps):
        for j, branch in enumerate(step.branches):
            if branch.goto != END and branch.goto not in index:
                checker.fail(("steps", i, "branches", j, "goto"), f"unknown step '{branch.goto}'")
        if step.next != END and step.next not in index:
            checker.fail(("steps", i, "next"), f"unknown step '{step.next}'")
    # Loops: depth-first search; a back edge is a loop the flow could go round for ever.
    state: dict[str, int] = {}  # 1: on the current path, 2: finished

    def visit(step_id: str, trail: list[str]) -> None:
        state[step_id] = 1
        i = index[step_id]
        for j, target in enumerate(steps[i].targets()):
            if target == END:
                continue
            if state.get(target) == 1:
                loop = [*trail[trail.index(target) :], step_id, target]
                where: KeyPath = (
                    ("steps", i, "branches", j, "goto")
                    if j < len(steps[i].branches)
                    else ("steps", i, "next")
                )
                checker.fail(
                    where,
                    "this makes a loop (" + " → ".join(loop) + "); a flow must "
                    "always move forward (people can still type 'back')",
                )
            if target not in state:
                visit(target, [*trail, step_id])
        state[step_id] = 2

    visit(steps[0].id, [])
    for i, step in enumerate(steps):
        if step.id not in state:
            checker.fail(("steps", i, "id"), f"step '{step.id}' can never be reached")


def build_flow(doc: YamlDocument) -> Flow:
    """Validate `doc` and build the `Flow`; the first problem raises `FlowConfigError`."""
    checker = _Checker(doc)
    data = checker.mapping(doc.data, (), FLOW_KEYS)
    flow_id = checker.text(data, "id", (), required=True) or ""
    if not re.match(r"^[a-z0-9][a-z0-9_.-]{0,99}$", flow_id):
        checker.fail(("id",), "use lowercase letters, digits, '.', '-' and '_'")
    version = checker.text(data, "version", (), required=True) or ""
    if len(version) > 64:
        checker.fail(("version",), "at most 64 characters")
    title = checker.text(data, "title", (), required=False) or flow_id
    greeting = checker.text(data, "greeting", (), required=True) or ""
    checker.template(greeting, ("greeting",), "greeting")
    if "closing" not in data:
        checker.fail((), "'closing' is required (texts for: " + ", ".join(OUTCOMES) + ")")
    closing_data = checker.mapping(data["closing"], ("closing",), frozenset(OUTCOMES))
    closing: dict[str, str] = {}
    for outcome in OUTCOMES:
        closing[outcome] = checker.text(closing_data, outcome, ("closing",), required=True) or ""
        checker.template(closing[outcome], ("closing", outcome), f"closing.{outcome}")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        checker.fail(("steps",), "expected a non-empty list of steps")
    ids = [item.get("id") if isinstance(item, dict) else None for item in raw_steps]
    steps = [
        checker.step(item, i, str(ids[i + 1]) if i + 1 < len(ids) and ids[i + 1] else END)
        for i, item in enumerate(raw_steps)
    ]
    _check_graph(checker, steps)
    return Flow(
        id=flow_id,
        version=version,
        title=title,
        greeting=greeting,
        closing=closing,
        steps=tuple(steps),
        file=doc.file,
        templates=checker.templates,
    )
