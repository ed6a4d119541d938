"""Reading submitted modal values and the metadata a modal carries."""

from __future__ import annotations

import json
from typing import Any

from bot.slack.blocks import STEP_PREFIX, VALUE


def input_value(view: dict[str, Any], block_id: str) -> str:
    """The text typed, or the value selected, in one input block ('' when left empty)."""
    state = view.get("state", {}).get("values", {}).get(block_id, {}).get(VALUE, {})
    if state.get("type") == "static_select":
        option = state.get("selected_option") or {}
        return str(option.get("value") or "")
    return str(state.get("value") or "")


def step_inputs(view: dict[str, Any]) -> dict[str, str]:
    """Every step input of a call form, by step id."""
    values = view.get("state", {}).get("values", {})
    return {
        block_id.removeprefix(STEP_PREFIX): input_value(view, block_id)
        for block_id in values
        if block_id.startswith(STEP_PREFIX)
    }


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    raw = view.get("private_metadata") or "{}"
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}
