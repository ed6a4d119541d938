"""The shared flow machine: built once per flow, branches by named conditions."""

from __future__ import annotations

from datetime import date

from dialogs.conditions import TurnFacts
from dialogs.flow import DONE, HUMAN, FlowRegistry, default_flow, parse_flow
from dialogs.machine import FlowMachine, TurnModel
from qualification.parsers.result import (
    AnswerKind,
    AuthorityValue,
    DecisionMaker,
    MoneyValue,
    ParseResult,
    ParseStatus,
    Period,
)
from qualification.stages import Dimension


def authority(decision: DecisionMaker) -> ParseResult[AuthorityValue]:
    return ParseResult(
        kind=AnswerKind.ROLE,
        status=ParseStatus.OK,
        value=AuthorityValue(decision_maker=decision),
        confidence=0.9,
        summary=f"decision maker: {decision.value}",
    )


def test_one_machine_per_flow_built_once() -> None:
    before = FlowMachine.built
    registry = FlowRegistry([default_flow()])
    assert FlowMachine.built == before + 1
    machine = registry.machine("bant-default")
    assert registry.machine("bant-default") is machine
    for _ in range(50):
        machine.answer("budget", TurnFacts(result=None))
    assert FlowMachine.built == before + 1
    assert machine.machine.models == []  # no conversation is ever attached


def test_authority_branch_when_not_decision_maker() -> None:
    machine = FlowRegistry([default_flow()]).machine("bant-default")
    no = authority(DecisionMaker.NO)
    yes = authority(DecisionMaker.YES)
    facts_no = TurnFacts(result=no, answers={Dimension.AUTHORITY: no})
    facts_yes = TurnFacts(result=yes, answers={Dimension.AUTHORITY: yes})
    assert machine.answer("authority", facts_no) == "decision_maker"
    assert machine.answer("authority", facts_yes) == "timeline"
    assert machine.answer("authority", TurnFacts(result=None)) == "timeline"
    assert machine.answer("current_tool", facts_yes) == DONE


def test_commands_restart_human_and_back() -> None:
    machine = FlowRegistry([default_flow()]).machine("bant-default")
    assert machine.restart("timeline") == "name"
    assert machine.talk_to_human("need") == HUMAN
    assert machine.go_to("budget") == "budget"


def test_budget_conditions_and_answer_is() -> None:
    flow = parse_flow(
        """\
id: money
version: "2"
greeting: hi
closing: {handoff: a, nurture: b, disqualify: c, human: d}
steps:
  - id: budget
    kind: money
    dimension: budget
    question: budget?
    branches:
      - when: no_budget
        goto: end
      - when: budget_below_minimum
        goto: small
  - id: plan
    kind: choice
    question: plan?
    choices: [team, enterprise]
    branches:
      - when: {answer_is: enterprise}
        goto: sso
    next: end
  - id: small
    kind: yes_no
    question: small?
    next: end
  - id: sso
    kind: yes_no
    question: sso?
""",
        file="money.yaml",
    )
    machine = FlowMachine(flow)

    def money(amount: float, period: Period) -> TurnFacts:
        result = ParseResult(
            kind=AnswerKind.MONEY,
            status=ParseStatus.OK,
            value=MoneyValue(minimum=amount, maximum=amount, currency="USD", period=period),
            confidence=1.0,
            summary=str(amount),
        )
        return TurnFacts(
            result=result,
            answers={Dimension.BUDGET: result},
            budget_minimum=10_000,
            today=date(2026, 1, 1),
        )

    none: ParseResult[MoneyValue] = ParseResult(
        kind=AnswerKind.MONEY,
        status=ParseStatus.NONE,
        value=None,
        confidence=1.0,
        summary="no budget",
    )
    no_money = TurnFacts(result=none, answers={Dimension.BUDGET: none})
    assert machine.answer("budget", no_money) == DONE
    assert machine.answer("budget", money(500, Period.MONTH)) == "small"  # 6,000 a year
    assert machine.answer("budget", money(1_000, Period.MONTH)) == "plan"  # 12,000 a year
    choice = ParseResult(
        kind=AnswerKind.CHOICE,
        status=ParseStatus.OK,
        value="enterprise",
        confidence=1.0,
        summary="Enterprise",
    )
    assert machine.answer("plan", TurnFacts(result=choice)) == "sso"
    team = ParseResult(
        kind=AnswerKind.CHOICE, status=ParseStatus.OK, value="team", confidence=1.0, summary="Team"
    )
    assert machine.answer("plan", TurnFacts(result=team)) == DONE


def test_turn_model_is_plain() -> None:
    model = TurnModel("budget")
    assert not hasattr(model, "__dict__")  # nothing can be attached to it
