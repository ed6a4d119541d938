"""`/dashboard/flows`: the loaded qualification flows (one drawn with its steps) and the scoring
rules in force, with their versions. Read-only; every logged-in user may see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from bot.dashboard.deps import CurrentUser, DashboardDep
from bot.dashboard.flow_diagram import flow_svg
from bot.dashboard.pages import render_page
from bot.dashboard.routing import DashboardRoute
from dialogs.flow import FlowRegistry
from dialogs.flow_graph import layout_flow, shorten
from dialogs.mermaid import flow_to_mermaid
from dialogs.schema import END, Flow, Step
from qualification.errors import NotFound
from qualification.parsers.result import AnswerKind
from qualification.rulebook import rule_lines, version_parts
from qualification.rules import RuleSet

DEFAULT_RULES_FILE = "qualification/rules/default.yaml"

FlowParam = Annotated[str, Query(description="A loaded flow's id; the default flow when empty")]

READS = {
    AnswerKind.MONEY: "an amount or range, with currency and period",
    AnswerKind.TIMELINE: "when, as a date window",
    AnswerKind.ROLE: "a role, and whether they decide",
    AnswerKind.NEED: "a need, matched against the pain points",
    AnswerKind.CHOICE: "one of the quick replies",
    AnswerKind.YES_NO: "yes or no",
    AnswerKind.EMAIL: "an email address",
    AnswerKind.NUMBER: "a number",
    AnswerKind.TEXT: "free text",
}


@dataclass(frozen=True)
class FlowEntry:
    flow: Flow
    is_default: bool
    selected: bool


@dataclass(frozen=True)
class WayOn:
    when: str  # a branch condition, "otherwise" or "then"
    target: str  # a step id, or END
    is_branch: bool


@dataclass(frozen=True)
class StepRow:
    number: int
    step: Step
    question: str  # as asked when nothing is known about the lead yet
    template: str | None  # the question's template, when it is more than plain text
    reprompt: str | None
    help: str | None
    reads: str
    ways_on: tuple[WayOn, ...]


def _as_asked(flow: Flow, step: Step, key: str, source: str | None) -> str | None:
    if source is None:
        return None
    return flow.render(f"steps.{step.id}.{key}", source, lead={}, answers={})


def step_rows(flow: Flow) -> list[StepRow]:
    """The steps in file order, with their texts as asked and every way on."""
    rows = []
    for number, step in enumerate(flow.steps, start=1):
        ways = [WayOn(branch.describe(), branch.goto, True) for branch in step.branches]
        ways.append(WayOn("otherwise" if step.branches else "then", step.next, False))
        question = _as_asked(flow, step, "question", step.question) or step.question
        rows.append(
            StepRow(
                number=number,
                step=step,
                question=question,
                template=step.question if step.question.split() != question.split() else None,
                reprompt=_as_asked(flow, step, "reprompt", step.reprompt),
                help=_as_asked(flow, step, "help", step.help),
                reads=READS[step.kind],
                ways_on=tuple(ways),
            )
        )
    return rows


def selected_flow(flows: FlowRegistry, flow_id: str) -> Flow:
    """The flow asked for (the default one when none is); NotFound (a 404 page) otherwise."""
    if not flow_id:
        return flows.default
    for flow in flows:
        if flow.id == flow_id:
            return flow
    raise NotFound(f"there is no loaded flow with the id '{shorten(flow_id, 80)}'")


def rules_source(rules: RuleSet) -> str:
    if rules.source == "default":
        return f"the shipped defaults ({DEFAULT_RULES_FILE}); set BATON_RULES_FILE to use your own"
    return f"BATON_RULES_FILE: {rules.source}"


def build_flows_router() -> APIRouter:
    router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)

    @router.get("/flows", name="dashboard_flows", response_class=HTMLResponse)
    def flows_page(
        request: Request,
        user: CurrentUser,
        dashboard: DashboardDep,
        flow: FlowParam = "",
    ) -> Response:
        """Every loaded flow; the selected one as a diagram and its steps; the scoring rules."""
        runtime = dashboard.runtime
        shown = selected_flow(runtime.flows, flow.strip())
        default_id = runtime.flows.default.id
        entries = [FlowEntry(f, f.id == default_id, f.id == shown.id) for f in runtime.flows]
        rules = runtime.rules
        return render_page(
            request,
            "flows.html",
            user=user,
            active="flows",
            flows=entries,
            flow=shown,
            is_default=shown.id == default_id,
            diagram=flow_svg(shown, layout_flow(shown)),
            mermaid=flow_to_mermaid(shown),
            steps=step_rows(shown),
            end=END,
            rules=rules,
            rules_version=version_parts(rules),
            rules_source=rules_source(rules),
            rule_lines=rule_lines(rules),
        )

    return router
