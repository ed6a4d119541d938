"""ParseResult to and from JSON-safe dicts, for storing answers and pending confirmations."""

from __future__ import annotations

from datetime import date
from typing import Any

from qualification.parsers.result import (
    AnswerKind,
    AuthorityValue,
    DecisionMaker,
    MoneyValue,
    NeedValue,
    PainPointMatch,
    ParseResult,
    ParseStatus,
    Period,
    Seniority,
    TimelineValue,
)


def _value_to_json(value: object) -> Any:
    """Dataclass values become dicts tagged with their "type"; plain values stay as they are."""
    if isinstance(value, MoneyValue):
        return {
            "type": "money",
            "minimum": value.minimum,
            "maximum": value.maximum,
            "currency": value.currency,
            "period": value.period.value if value.period else None,
            "approximate": value.approximate,
        }
    if isinstance(value, TimelineValue):
        return {
            "type": "timeline",
            "start": value.start.isoformat(),
            "end": value.end.isoformat(),
            "label": value.label,
        }
    if isinstance(value, AuthorityValue):
        return {
            "type": "authority",
            "decision_maker": value.decision_maker.value,
            "role": value.role,
            "seniority": value.seniority.value if value.seniority else None,
            "others": list(value.others),
        }
    if isinstance(value, NeedValue):
        return {
            "type": "need",
            "matches": [{"pain_point": m.pain_point, "score": m.score} for m in value.matches],
            "text": value.text,
        }
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise TypeError(f"cannot store a parsed value of type {type(value).__name__}")


def _value_from_json(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    tag = data.get("type")
    if tag == "money":
        return MoneyValue(
            minimum=_optional_float(data["minimum"]),
            maximum=_optional_float(data["maximum"]),
            currency=data["currency"],
            period=Period(data["period"]) if data["period"] else None,
            approximate=bool(data["approximate"]),
        )
    if tag == "timeline":
        return TimelineValue(
            start=date.fromisoformat(data["start"]),
            end=date.fromisoformat(data["end"]),
            label=data["label"],
        )
    if tag == "authority":
        return AuthorityValue(
            decision_maker=DecisionMaker(data["decision_maker"]),
            role=data["role"],
            seniority=Seniority(data["seniority"]) if data["seniority"] else None,
            others=tuple(data["others"]),
        )
    if tag == "need":
        return NeedValue(
            matches=tuple(PainPointMatch(m["pain_point"], m["score"]) for m in data["matches"]),
            text=data["text"],
        )
    raise ValueError(f"unknown stored value type: {tag!r}")


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def result_to_json(result: ParseResult[Any]) -> dict[str, Any]:
    """A JSON-safe dict of the result, including its "kind"; `result_from_json` reverses it."""
    return {
        "kind": result.kind.value,
        "status": result.status.value,
        "value": _value_to_json(result.value),
        "confidence": result.confidence,
        "summary": result.summary,
        "notes": list(result.notes),
    }


def result_from_json(data: dict[str, Any]) -> ParseResult[Any]:
    """The ParseResult that `result_to_json` produced this dict from."""
    return ParseResult(
        kind=AnswerKind(data["kind"]),
        status=ParseStatus(data["status"]),
        value=_value_from_json(data.get("value")),
        confidence=float(data["confidence"]),
        summary=str(data["summary"]),
        notes=tuple(data.get("notes", ())),
    )
