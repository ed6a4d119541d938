"""Flow loading: the shipped flow loads; every malformed file names file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs.flow import END, FlowRegistry, default_flow, load_flow, parse_flow
from qualification.errors import FlowConfigError, NotFound
from qualification.parsers.result import AnswerKind
from qualification.stages import Dimension

HEAD = """\
id: test-flow
version: "1"
greeting: Hello {{ lead.first_name }}
closing:
  handoff: bye h
  nurture: bye n
  disqualify: bye d
  human: bye p
steps:
"""  # steps start on line 10


def flow_error(steps: str, *, head: str = HEAD) -> FlowConfigError:
    with pytest.raises(FlowConfigError) as info:
        parse_flow(head + steps, file="custom.yaml")
    assert info.value.file == "custom.yaml"
    return info.value


def test_default_flow_loads_with_bant_steps() -> None:
    flow = default_flow()
    assert flow.id == "bant-default"
    dims = {s.dimension for s in flow.steps if s.dimension}
    assert dims == set(Dimension)
    assert [s.field for s in flow.steps[:3]] == ["name", "email", "company_name"]
    assert all(s.skip_if_known for s in flow.steps[:3])
    authority = flow.step("authority")
    assert authority.branches[0].when == "not_decision_maker"
    assert authority.branches[0].goto == "decision_maker"
    assert flow.step("decision_maker_joins").kind is AnswerKind.YES_NO
    assert flow.step("current_tool").kind is AnswerKind.CHOICE
    assert flow.steps[-1].next == END
    assert set(flow.closing) == {"handoff", "nurture", "disqualify", "human"}


def test_load_flow_from_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(HEAD + "  - id: only\n    kind: text\n    question: Hi?\n", encoding="utf-8")
    flow = load_flow(path)
    assert flow.file == str(path)
    assert flow.step_ids == ("only",)
    assert flow.step("only").retry_cap == 2
    with pytest.raises(FlowConfigError, match="file not found"):
        load_flow(tmp_path / "missing.yaml")


def test_question_renders_known_lead_fields() -> None:
    flow = default_flow()
    text = flow.render("greeting", flow.greeting, lead={"first_name": "Ada"}, answers={})
    assert text.startswith("Hi Ada!")
    anonymous = flow.render("greeting", flow.greeting, lead={}, answers={})
    assert anonymous.startswith("Hi! Thanks")


@pytest.mark.parametrize(
    ("steps", "line", "field", "message"),
    [
        ("  - id: a\n    kind: txt\n    question: q\n", 11, "steps[0].kind", "unknown kind 'txt'"),
        (
            "  - id: a\n    kind: text\n    question: q\n    colour: red\n",
            13,
            "steps[0].colour",
            "unknown key 'colour'",
        ),
        (
            "  - id: a\n    kind: text\n    question: q\n"
            "  - id: a\n    kind: text\n    question: r\n",
            13,
            "steps[1].id",
            "duplicate step id 'a'",
        ),
        (
            "  - id: a\n    kind: text\n    question: q\n    next: nowhere\n",
            13,
            "steps[0].next",
            "unknown step 'nowhere'",
        ),
        (
            "  - id: a\n    kind: yes_no\n    question: q\n    branches:\n      - when: sunny\n"
            "        goto: end\n",
            14,
            "steps[0].branches[0].when",
            "unknown condition 'sunny'",
        ),
        (
            "  - id: a\n    kind: yes_no\n    question: q\n    branches:\n      - when: answer_is\n"
            "        goto: end\n",
            14,
            "steps[0].branches[0].when",
            "needs a value",
        ),
        (
            "  - id: a\n    kind: text\n    question: q\n  - id: b\n    kind: text\n"
            "    question: r\n    next: a\n",
            16,
            "steps[1].next",
            "loop (a → b → a)",
        ),
        (
            "  - id: a\n    kind: text\n    question: q\n    next: end\n  - id: b\n    kind: text\n"
            "    question: r\n",
            14,
            "steps[1].id",
            "can never be reached",
        ),
        (
            "  - id: a\n    kind: text\n    question: Hi {{ lead.name \n",
            12,
            "steps[0].question",
            "template syntax error",
        ),
        (
            "  - id: a\n    kind: text\n    question: Hi {{ secrets }}\n",
            12,
            "steps[0].question",
            "unknown name 'secrets'",
        ),
        (
            "  - id: a\n    kind: text\n    question: Hi {{ lead.password }}\n",
            12,
            "steps[0].question",
            "unknown lead field 'lead.password'",
        ),
        (
            "  - id: a\n    kind: text\n    dimension: budget\n    question: q\n",
            11,
            "steps[0].kind",
            "must have kind 'money'",
        ),
        (
            "  - id: a\n    kind: text\n    field: password\n    question: q\n",
            12,
            "steps[0].field",
            "unknown lead field 'password'",
        ),
        ("  - id: a\n    kind: choice\n    question: q\n", 10, "steps[0]", "needs 'choices'"),
        (
            "  - id: a\n    kind: text\n    question: q\n    retry_cap: lots\n",
            13,
            "steps[0].retry_cap",
            "whole number",
        ),
        (
            "  - id: a\n    kind: text\n    question: q\n    skip_if_known: true\n",
            13,
            "steps[0].skip_if_known",
            "needs a 'dimension' or 'field'",
        ),
        ("  - id: End\n    kind: text\n    question: q\n", 10, "steps[0].id", "invalid step id"),
        ("  - kind: text\n    question: q\n", 10, "steps[0]", "'id' is required"),
    ],
)
def test_errors_name_file_line_and_field(steps: str, line: int, field: str, message: str) -> None:
    error = flow_error(steps)
    assert (error.line, error.field) == (line, field)
    assert message in error.message
    assert str(error).startswith(f"custom.yaml:{line}: {field}: ")


def test_top_level_errors() -> None:
    error = flow_error("", head=HEAD.replace('version: "1"\n', "") + "  - id: a\n")
    assert error.field == "(document)" and "'version' is required" in error.message
    error = flow_error(
        "  - id: a\n    kind: text\n    question: q\n", head=HEAD.replace("  human: bye p\n", "")
    )
    assert (error.field, error.line) == ("closing", 4)
    error = flow_error(
        "  - id: a\n    kind: text\n    question: q\n",
        head=HEAD.replace("closing:", "greting: x\nclosing:"),
    )
    assert (error.field, error.line) == ("greting", 4)
    error = flow_error("  not a list\n")
    assert error.field == "steps"
    with pytest.raises(FlowConfigError) as info:
        parse_flow("id: [broken\n", file="broken.yaml")
    assert info.value.field == "(syntax)"


def test_branch_argument_and_choices_parse() -> None:
    flow = parse_flow(
        HEAD + "  - id: plan\n    kind: choice\n    question: Which plan?\n"
        "    choices: [starter, {value: enterprise, label: Enterprise, synonyms: [big]}]\n"
        "    branches:\n      - when: {answer_is: enterprise}\n        goto: big\n"
        "    next: end\n"
        "  - id: big\n    kind: yes_no\n    question: Need SSO?\n",
        file="plans.yaml",
    )
    plan = flow.step("plan")
    assert [c.value for c in plan.choices] == ["starter", "enterprise"]
    assert plan.choices[1].synonyms == ("big",)
    assert plan.branches[0].argument == "enterprise"
    assert flow.step("big").next == END


def test_registry_default_get_and_override() -> None:
    flow = default_flow()
    custom = parse_flow(HEAD + "  - id: a\n    kind: text\n    question: q\n", file="c.yaml")
    registry = FlowRegistry([flow, custom], default_id="test-flow")
    assert registry.default is custom
    assert registry.get("bant-default") is flow
    with pytest.raises(NotFound):
        registry.get("nope")
    with pytest.raises(FlowConfigError, match="default_flow"):
        FlowRegistry([flow], default_id="nope")
    assert FlowRegistry([flow]).default is flow
