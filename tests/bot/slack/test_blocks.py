"""Block Kit payloads, checked by what they contain."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.slack.blocks import Known, approval_blocks, qualify_modal, question_block
from dialogs.flow import default_flow
from storage.handoff_view import BantLine, HandoffView

FLOW = default_flow()


def _view(**changes: object) -> HandoffView:
    data: dict[str, object] = {
        "request_id": 7,
        "lead_id": 3,
        "lead_name": "Eve <!here>",
        "lead_email": "eve@acme.io",
        "company": "Acme",
        "stage": "sal",
        "score": 81,
        "bant": (BantLine("budget", "$30,000 per year", "prospect"),),
        "top_reasons": ("Budget fits (+20)",),
        "requested_by": "Sam",
        "requester_slack_id": "USDR",
        "status": "pending",
        "decided_by": None,
        "decided_at": None,
        "comment": "",
    }
    data.update(changes)
    return HandoffView(**data)  # type: ignore[arg-type]


def test_a_choice_step_becomes_a_static_select_with_the_known_value() -> None:
    step = FLOW.step("current_tool")
    block = question_block(step, "What do you use?", Known("excel", "prospect", "spreadsheets"))
    element = block["element"]
    assert element["type"] == "static_select"
    assert [o["value"] for o in element["options"]] == [
        "spreadsheets",
        "crm",
        "other_tool",
        "nothing",
    ]
    assert element["initial_option"]["value"] == "spreadsheets"
    assert block["block_id"] == "step:current_tool"


def test_an_sdr_answer_is_not_marked_as_the_prospects() -> None:
    block = question_block(FLOW.step("budget"), "Budget?", Known("20k", "sdr"))
    assert block["label"]["text"] == "Budget"
    assert block["element"]["initial_value"] == "20k"


def test_the_call_modal_carries_the_lead_and_fits_slack_limits() -> None:
    steps = [(FLOW.step("budget"), "x" * 5000, None)]
    view = qualify_modal(lead_id=42, heading="*Lead*", steps=steps)
    assert json.loads(view["private_metadata"]) == {"lead_id": 42}
    assert len(view["title"]["text"]) <= 24
    assert len(view["blocks"][1]["hint"]["text"]) <= 2000
    assert view["blocks"][-1]["block_id"] == "notes"


def test_a_pending_card_has_buttons_and_escapes_the_prospect() -> None:
    blocks = approval_blocks(_view(), dashboard_url="https://baton.example.com/")
    text = json.dumps(blocks)
    assert "<!here>" not in text and "&lt;!here&gt;" in text
    assert "https://baton.example.com/dashboard/leads/3" in text
    assert "Budget fits (+20)" in text and "(prospect)" in text
    assert [e["action_id"] for e in blocks[-1]["elements"]] == [
        "handoff_approve",
        "handoff_reject",
    ]


def test_a_decided_card_names_who_and_when_and_has_no_buttons() -> None:
    decided = _view(
        status="rejected",
        decided_by="Mia",
        decided_at=datetime(2026, 11, 23, 10, 5, tzinfo=UTC),
        comment="too early",
    )
    blocks = approval_blocks(decided, dashboard_url=None)
    assert all(b["type"] != "actions" for b in blocks)
    assert blocks[-1]["text"]["text"] == "*Rejected* by Mia at 2026-11-23 10:05 UTC: too early"
