"""Plain-text rendering of lead reports and prompts for the terminal."""

from __future__ import annotations

from collections import OrderedDict

from dialogs.prompt import Prompt
from storage.lead_report import LeadReport

CATEGORY_TITLES = OrderedDict(
    [("fit", "Fit"), ("behaviour", "Behaviour"), ("bant", "BANT"), ("decay", "Decay")]
)


def render_prompt(prompt: Prompt) -> str:
    lines = [f"! {notice}" for notice in prompt.notices]
    done, total = prompt.progress
    prefix = "" if prompt.done or not total else f"[{min(done + 1, total)}/{total}] "
    lines.append(f"baton> {prefix}{prompt.text}")
    for number, choice in enumerate(prompt.choices, start=1):
        lines.append(f"        {number}. {choice.label}")
    return "\n".join(lines)


def _lead_heading(report: LeadReport) -> str:
    lead = report.lead
    who = lead.get("name") or "(no name)"
    email = f" <{lead['email']}>" if lead.get("email") else ""
    company = lead.get("company_name") or "(no company)"
    return f"{who}{email} — {company}"


def render_explain(report: LeadReport, *, history: bool = False) -> str:
    """Why the lead has its score: net points per rule and cause, by category."""
    lines = [
        _lead_heading(report),
        f"stage: {report.lead['stage']}   score: {report.score}"
        f"   (rules {report.lead.get('rules_version') or 'not scored yet'})",
    ]
    net: OrderedDict[tuple[str, str], tuple[str, int, str]] = OrderedDict()
    for line in report.ledger:
        key = (line.rule_id, line.cause)
        _, points, _ = net.get(key, (line.category, 0, ""))
        note = line.note if not line.note.startswith("reversed") else net.get(key, ("", 0, ""))[2]
        net[key] = (line.category, points + line.points, note or line.note)
    for category, title in CATEGORY_TITLES.items():
        items = [(k, v) for k, v in net.items() if v[0] == category and v[1] != 0]
        total = sum(v[1] for _, v in items)
        lines.append(f"{title:<10} {total:+d}")
        for (rule_id, _cause), (_cat, points, note) in items:
            lines.append(f"  {points:+4d}  {rule_id:<28} {note}")
    if history:
        lines.append("ledger (every entry, oldest first):")
        for line in report.ledger:
            lines.append(
                f"  {line.at:%Y-%m-%d %H:%M}  {line.points:+4d}  {line.rule_id:<28} "
                f"{line.cause:<12} {line.note}  [{line.rules_version}]"
            )
    return "\n".join(lines)


def render_show(report: LeadReport) -> str:
    lead = report.lead
    lines = [_lead_heading(report)]
    company_bits = [
        str(v)
        for v in (
            lead.get("industry"),
            f"{lead['employee_count']} employees" if lead.get("employee_count") else None,
            lead.get("country"),
        )
        if v
    ]
    if company_bits:
        lines.append("company: " + ", ".join(company_bits))
    if lead.get("title"):
        lines.append(f"title: {lead['title']}")
    source = [lead.get(k) for k in ("source_channel", "source_campaign", "source_asset")]
    if any(source):
        lines.append("source: " + " / ".join(s or "-" for s in source))
    lines.append(
        f"stage: {lead['stage']}   score: {report.score}   owner: {lead.get('owner_id') or '-'}"
    )
    lines.append("BANT answers:")
    current = [a for a in report.answers if not a.superseded]
    if not current:
        lines.append("  (none yet)")
    for answer in current:
        lines.append(
            f"  {answer.dimension:<9} {answer.summary or answer.status}  "
            f'("{answer.raw_text}", {answer.given_by}, confidence {answer.confidence:.2f})'
        )
    lines.append("stage history:")
    for change in report.stages:
        lines.append(
            f"  {change.at:%Y-%m-%d %H:%M}  {change.from_stage} -> {change.to_stage}"
            f"  by {change.actor}: {change.reason}"
        )
    if report.pending_handoff:
        lines.append(f"pending handoff request #{report.pending_handoff['id']}")
    if report.conversations:
        lines.append("conversations:")
        for conv in report.conversations:
            lines.append(f"  #{conv['id']} {conv['channel']} {conv['flow']} {conv['status']}")
    return "\n".join(lines)
