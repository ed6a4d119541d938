"""The Flows & rules page: every loaded flow, the selected one drawn and listed step by step,
and the scoring rules with their version and where they came from."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path

import httpx
import pytest

from dialogs.flow import default_flow
from qualification.rulebook import rule_lines
from qualification.rules import default_rules, load_rules
from qualification.stages import Role
from tests.bot.dashboard.conftest import Dashboard, build_app
from tests.bot.dashboard.pages import section, text

SECRET = "flows-page-test-secret-0123456789abcdef"
SVG = "{http://www.w3.org/2000/svg}"

CLOSING = """\
closing:
  handoff: Thanks, sales will call.
  nurture: Thanks, we'll stay in touch.
  disqualify: Thanks for your time.
  human: A person will take over.
"""

EXTRA = (
    """\
id: enterprise
version: "3.2"
title: Enterprise intake
greeting: Hello!
"""
    + CLOSING
    + """\
steps:
  - id: segment
    kind: choice
    question: Which describes you best?
    choices:
      - {value: startup, label: A start-up}
      - {value: enterprise, label: An enterprise}
    branches:
      - when: {answer_is: startup}
        goto: end
  - id: budget
    dimension: budget
    kind: money
    skip_if_known: true
    question: What budget do you have?
  - id: seats
    kind: number
    question: How many seats?
"""
)

HOSTILE = "<script>alert('flow')</script>"
HOSTILE_FLOW = (
    f"""\
id: hostile
version: "1<b>x</b>"
title: "Evil {HOSTILE}"
greeting: Hi.
"""
    + CLOSING
    + f"""\
steps:
  - id: pick
    kind: choice
    question: "Pick one {HOSTILE}"
    reprompt: "Again <img src=x onerror=alert(1)>"
    choices:
      - value: a
        label: "<img src=x onerror=alert(2)>"
    branches:
      - when: {{answer_is: "</text></svg><script>alert(3)</script>"}}
        goto: end
  - id: after
    kind: text
    question: "Then & <i>more</i>"
"""
)


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


@asynccontextmanager
async def dashboard_with(database_url: str, **settings: object) -> AsyncIterator[Dashboard]:
    """A dashboard of an app built with these settings (flow files, rules file…)."""
    app = build_app(database_url, secret_key=SECRET, **settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
            yield Dashboard(app=app, client=client)
    finally:
        app.state.runtime.engine.dispose()


def step_ids(html: str) -> list[str]:
    """The step ids of the steps table, top to bottom."""
    return re.findall(r'<tr id="step-[a-z0-9_]+" data-step="([a-z0-9_]+)"', section(html, "steps"))


def step_row(html: str, step_id: str) -> str:
    """The visible text of one step's row in the steps table."""
    match = re.search(rf'<tr id="step-{step_id}".*?</tr>', section(html, "steps"), re.S)
    assert match is not None, f"no row for step {step_id}"
    return text(match.group(0))


def listed_flows(html: str) -> dict[str, str]:
    """Flow id -> the visible text of its row in the list of loaded flows."""
    rows = re.findall(r'<tr[^>]*data-flow="([^"]+)">(.*?)</tr>', section(html, "flows"), re.S)
    return {flow_id: text(row) for flow_id, row in rows}


def diagram(html: str) -> ET.Element:
    """The flow's inline SVG, parsed as XML (so it must be well-formed)."""
    match = re.search(r"<svg\b.*?</svg>", section(html, "flow"), re.S)
    assert match is not None, "no diagram"
    return ET.fromstring(match.group(0))


def diagram_steps(svg: ET.Element) -> list[str]:
    return [g.attrib["data-step"] for g in svg.iter(f"{SVG}g") if "data-step" in g.attrib]


def diagram_edges(svg: ET.Element) -> list[tuple[str, str, str]]:
    """(from, to, label) of every arrow; the label is "" when there is none."""
    edges = []
    for g in svg.iter(f"{SVG}g"):
        if "data-from" in g.attrib:
            label = g.find(f"{SVG}text")
            shown = (label.text or "") if label is not None else ""
            edges.append((g.attrib["data-from"], g.attrib["data-to"], shown))
    return edges


@pytest.mark.parametrize("role", [Role.SDR, Role.MANAGER])
async def test_every_logged_in_user_sees_the_default_flow_and_rules(
    dash: Dashboard, role: Role
) -> None:
    await dash.login(dash.account(role=role))
    page = await dash.page("/dashboard/flows")
    assert page.status_code == 200, page.text
    nav = '<a href="/dashboard/flows" aria-current="page" class="current">Flows &amp; rules</a>'
    assert nav in page.text
    flow = default_flow()
    assert listed_flows(page.text) == {
        "bant-default": f"bant-default BANT qualification 1 {len(flow.steps)} "
        "dialogs/flows/default.yaml default"
    }
    shown = section(page.text, "flow")
    assert text(shown).startswith("BANT qualification bant-default · version 1 · default")
    assert step_ids(page.text) == list(flow.step_ids)
    steps = text(section(page.text, "steps"))
    rows = {step.id: step_row(page.text, step.id) for step in flow.steps}
    for step in flow.steps:
        assert step.kind.value in rows[step.id]
        assert rows[step.id].endswith("yes" if step.skip_if_known else "no"), rows[step.id]
    # Questions read as asked when nothing is known yet; templates are there to see.
    assert rows["budget"].startswith(
        "5 budget Do you have a budget in mind for this, roughly? A range is fine. If unclear:"
    )
    assert rows["email"].startswith(
        "2 email Nice to meet you. What's your work email address? as a template Nice to meet"
        " you{% if lead.first_name %}, {{ lead.first_name }}{% endif %}. What's your work"
    )
    assert "Could they join our next call? as a template" in rows["decision_maker_joins"]
    assert "as a template" not in rows["budget"]
    assert "when not_decision_maker → decision_maker otherwise → timeline" in steps
    assert "A CRM crm" in steps  # quick replies: label and stored value
    assert "BANT: budget" in steps and "Lead field: email" in steps
    assert "then → end (recommendation)" in steps

    svg = diagram(page.text)
    assert diagram_steps(svg) == list(flow.step_ids)
    assert ("authority", "decision_maker", "not_decision_maker") in diagram_edges(svg)
    assert ("authority", "timeline", "otherwise") in diagram_edges(svg)
    assert svg.attrib["role"] == "img"
    assert svg.find(f"{SVG}title").text == (  # type: ignore[union-attr]
        "Diagram of the flow BANT qualification (bant-default, version 1)"
    )
    assert "From step authority to step decision_maker when not_decision_maker." in (
        svg.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    )
    mermaid = re.search(r"<details class=\"mermaid-source\">.*?<code>(.*?)</code>", shown, re.S)
    assert mermaid is not None and "flowchart TD" in mermaid.group(1)
    assert "s_authority -- &#34;not_decision_maker&#34; --&gt; s_decision_maker" in mermaid.group(1)

    rules = default_rules()
    assert rules.version.startswith("2026.1+")
    assert f'data-testid="rules-version">{rules.version}<' in page.text
    rules_text = text(section(page.text, "rules"))
    assert "Declared version 2026.1" in rules_text
    assert f"Content fingerprint {rules.version.split('+')[1]}" in rules_text
    assert "Loaded from the shipped defaults (qualification/rules/default.yaml)" in rules_text
    assert "MQL 40" in rules_text and "SQL / handoff 60" in rules_text
    assert "Auto-approve — Never" in rules_text and "Rejected handoffs SAL" in rules_text
    scoring = section(page.text, "scoring")
    shown_rules = re.findall(r'<tr class="rule-line" data-rule="([^"]+)">', scoring)
    assert shown_rules == [line.rule_id for line in rule_lines(rules)]
    assert {"fit.industry", "behaviour.demo_request", "decay.inactivity", "bant.need"} <= set(
        shown_rules
    )
    assert "fit.industry fit Industry is software, saas or internet +10 —" in text(scoring)
    assert "decay.inactivity decay Every 30 days without any activity" in text(scoring)
    pains = text(section(page.text, "pain-points"))
    assert "manual_work Too much manual data entry manual, data entry" in pains
    assert "<script" not in page.text


async def test_not_logged_in_goes_to_the_login_form(dash: Dashboard) -> None:
    page = await dash.page("/dashboard/flows", flow="bant-default")
    assert page.status_code == 303
    assert (
        page.headers["location"]
        == "/dashboard/login?next=%2Fdashboard%2Fflows%3Fflow%3Dbant-default"
    )
    api = await dash.client.get("/dashboard/flows", headers={"accept": "application/json"})
    assert api.status_code == 401
    assert "bant-default" not in api.text


async def test_extra_flow_files_are_listed_and_selectable(
    database_url: str, tmp_path: Path
) -> None:
    extra = write(tmp_path, "enterprise.yaml", EXTRA)
    async with dashboard_with(database_url, flow_files=[extra]) as dash:
        await dash.login(dash.account())
        page = await dash.page("/dashboard/flows")
        listed = listed_flows(page.text)
        assert list(listed) == ["bant-default", "enterprise"]
        assert listed["enterprise"] == f"enterprise Enterprise intake 3.2 3 {extra}"
        assert listed["bant-default"].endswith(" default")
        assert step_ids(page.text) == list(default_flow().step_ids)  # the default is shown
        assert 'href="/dashboard/flows?flow=enterprise"' in section(page.text, "flows")

        page = await dash.page("/dashboard/flows", flow="enterprise")
        assert page.status_code == 200
        assert '<tr class="flow-selected" data-flow="enterprise">' in page.text
        assert text(section(page.text, "flow")).startswith(
            "Enterprise intake enterprise · version 3.2 From"
        )
        assert step_ids(page.text) == ["segment", "budget", "seats"]
        steps = text(section(page.text, "steps"))
        assert "when answer_is: startup → end (recommendation) otherwise → budget" in steps
        assert "A start-up startup An enterprise enterprise" in steps
        svg = diagram(page.text)
        assert diagram_steps(svg) == ["segment", "budget", "seats"]
        assert sorted(diagram_edges(svg)) == sorted(
            [
                (":start", "segment", ""),
                ("segment", ":end", "answer_is: startup"),
                ("segment", "budget", "otherwise"),
                ("budget", "seats", ""),
                ("seats", ":end", ""),
            ]
        )
        # The rules do not depend on the flow shown.
        assert default_rules().version in section(page.text, "rules")


async def test_a_configured_default_flow_is_marked_and_shown_first(
    database_url: str, tmp_path: Path
) -> None:
    extra = write(tmp_path, "enterprise.yaml", EXTRA)
    async with dashboard_with(database_url, flow_files=[extra], default_flow="enterprise") as dash:
        await dash.login(dash.account(role=Role.MANAGER))
        page = await dash.page("/dashboard/flows")
        listed = listed_flows(page.text)
        assert listed["enterprise"].endswith(" default")
        assert not listed["bant-default"].endswith(" default")
        assert step_ids(page.text) == ["segment", "budget", "seats"]


async def test_an_unknown_flow_is_a_404_page(dash: Dashboard) -> None:
    await dash.login(dash.account())
    page = await dash.page("/dashboard/flows", flow="no-such-flow<b>")
    assert page.status_code == 404
    assert "<title>Not found · Baton</title>" in page.text
    assert "there is no loaded flow with the id 'no-such-flow<b>'" in text(page.text)
    assert "no-such-flow&lt;b&gt;" in page.text and "<b>" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


async def test_rules_from_a_rules_file(database_url: str, tmp_path: Path) -> None:
    shipped = files("qualification").joinpath("rules/default.yaml").read_text(encoding="utf-8")
    changed = shipped.replace('version: "2026.1"', 'version: "acme-7"').replace(
        "auto_approve_above: null", "auto_approve_above: 85"
    )
    path = write(tmp_path, "rules.yaml", changed)
    rules = load_rules(path)
    assert rules.version.startswith("acme-7+") and rules.auto_approve_above == 85
    async with dashboard_with(database_url, rules_file=path) as dash:
        await dash.login(dash.account())
        page = await dash.page("/dashboard/flows")
        rules_text = text(section(page.text, "rules"))
        assert f"Scoring rules version {rules.version}" in rules_text
        assert "Declared version acme-7" in rules_text
        assert f"Loaded from BATON_RULES_FILE: {path}" in rules_text
        assert "Auto-approve 85 Handoffs of leads scoring 85 or more" in rules_text


async def test_text_from_a_flow_file_is_escaped(database_url: str, tmp_path: Path) -> None:
    hostile = write(tmp_path, "hostile.yaml", HOSTILE_FLOW)
    async with dashboard_with(database_url, flow_files=[hostile]) as dash:
        await dash.login(dash.account())
        page = await dash.page("/dashboard/flows", flow="hostile")
        assert page.status_code == 200
        html = page.text
        assert "<script" not in html and "<img" not in html and "<b>" not in html
        assert "<i>" not in html
        assert "&lt;script&gt;alert(&#39;flow&#39;)&lt;/script&gt;" in html
        steps = text(section(html, "steps"))
        assert f"Pick one {HOSTILE}" in steps
        assert "Again <img src=x onerror=alert(1)>" in steps
        assert "<img src=x onerror=alert(2)>" in steps
        assert "when answer_is: </text></svg><script>alert(3)</script> → end" in steps
        assert "Then & <i>more</i>" in steps
        assert text(section(html, "flow")).startswith(f"Evil {HOSTILE} hostile · version 1<b>x</b>")
        # The diagram stays one well-formed drawing with the texts as text.
        svg = diagram(html)
        assert diagram_steps(svg) == ["pick", "after"]
        assert svg.find(f"{SVG}title").text == (  # type: ignore[union-attr]
            f"Diagram of the flow Evil {HOSTILE} (hostile, version 1<b>x</b>)"
        )
        tooltips = [t.text or "" for t in svg.iter(f"{SVG}title")]
        assert f"pick — Pick one {HOSTILE}" in tooltips
        branch = "answer_is: </text></svg><script>alert(3)</script>"
        assert f"step pick → the end (recommendation) when {branch}" in tooltips
        start = next(g for g in svg.iter(f"{SVG}g") if "flow-node-start" in g.get("class", ""))
        lines = [t.text for t in start.iter(f"{SVG}text")]
        assert lines == [
            "Start",
            "Evil <script>alert('flow')</scrip…",
            "hostile · version 1<b>x</b>",
        ]
