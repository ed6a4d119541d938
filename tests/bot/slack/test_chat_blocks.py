"""The thread chat's Block Kit, checked by the payloads it produces."""

from __future__ import annotations

from bot.slack.chat_blocks import (
    CHOICE_ACTION,
    LeadLine,
    OnFile,
    answered,
    prompt_post,
    read_choice,
    start_post,
)
from dialogs.prompt import Outcome, Prompt
from qualification.parsers.result import AnswerKind, Choice
from qualification.stages import Action, Stage


def _prompt(**changes: object) -> Prompt:
    data: dict[str, object] = {
        "conversation_id": 4,
        "version": 3,
        "step_id": "current_tool",
        "text": "What do you use at <!channel> & co?",
        "choices": (Choice("crm", "A CRM"), Choice("nothing", "Nothing yet")),
        "expects": AnswerKind.CHOICE,
        "progress": (4, 5),
        "notices": ("I removed <@U1>",),
    }
    data.update(changes)
    return Prompt(**data)  # type: ignore[arg-type]


def test_a_choice_question_is_escaped_and_has_a_button_per_choice() -> None:
    post = prompt_post(_prompt(), lead_id=9, lead_name="Dana")
    notice, question, buttons, progress = post.blocks
    assert notice["elements"][0]["text"] == "I removed &lt;@U1&gt;"
    assert question["text"]["text"] == "What do you use at &lt;!channel&gt; &amp; co?"
    assert post.text == question["text"]["text"]
    assert [b["text"]["text"] for b in buttons["elements"]] == ["A CRM", "Nothing yet"]
    assert all(CHOICE_ACTION.match(b["action_id"]) for b in buttons["elements"])
    assert len({b["action_id"] for b in buttons["elements"]}) == 2
    click = read_choice(buttons["elements"][0]["value"])
    assert (click.conversation_id, click.version, click.answer) == (4, 3, "crm")
    assert progress["elements"][0]["text"] == "Question 5 of 5"


def test_the_end_is_the_recommendation_with_its_buttons() -> None:
    outcome = Outcome(
        action=Action.HANDOFF,
        reasons=("Budget fits",),
        score=80,
        applied=False,
        stage=Stage.MQL,
        breakdown=(("fit", 30), ("bant", 50)),
    )
    done = _prompt(done=True, outcome=outcome, choices=(), notices=())
    post = prompt_post(done, lead_id=9, lead_name="Dana <@U2>")
    assert post.text == "Call logged: recommendation handoff"
    assert "Dana &lt;@U2&gt;" in post.blocks[0]["text"]["text"]
    assert [b["action_id"] for b in post.blocks[-1]["elements"]] == [
        "request_handoff",
        "return_to_nurture",
    ]


def test_the_first_message_names_the_lead_and_what_is_on_file() -> None:
    lead = LeadLine(lead_id=9, name="Dana *bold*", company="A&B", stage="mql", score=12)
    known = [OnFile(dimension="budget", summary="<$30k", given_by="prospect")]
    post = start_post(_prompt(notices=()), lead=lead, on_file=known)
    heading, on_file = post.blocks[0]["text"]["text"], post.blocks[1]["text"]["text"]
    assert heading == "Qualifying *Dana *\u200bbold\u200b** at A&amp;B · stage mql · score 12"
    assert "*Budget*: &lt;$30k _(prospect)_" in on_file
    assert post.blocks[-2]["type"] == "actions"


def test_a_clicked_question_keeps_its_text_and_shows_the_choice() -> None:
    blocks = prompt_post(_prompt(), lead_id=9, lead_name="Dana").blocks
    after = answered(blocks, "A <CRM>")
    assert [b["type"] for b in after] == ["context", "section", "context", "context"]
    assert after[-1]["elements"][0]["text"] == "Answered: *A &lt;CRM&gt;*"
