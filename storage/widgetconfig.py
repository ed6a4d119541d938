"""Validation of a widget's configuration: origins, theme (colours, position, z-index, offsets)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from qualification.errors import InvalidInput

POSITIONS = ("bottom-right", "bottom-left")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_HOST = re.compile(r"^[A-Za-z0-9.-]+$")

DEFAULT_THEME: dict[str, Any] = {
    "color": "#2563eb",  # launcher, visitor bubbles and buttons
    "text_color": "#ffffff",  # text on `color`
    "position": "bottom-right",
    "z_index": 2147483000,
    "offset_x": 20,
    "offset_y": 20,
}
_COLOURS = ("color", "text_color")
_INTS = {"z_index": (-2147483647, 2147483647), "offset_x": (0, 2000), "offset_y": (0, 2000)}


def normalise_origin(origin: str) -> str:
    """`scheme://host[:port]` with http(s), lower-cased, no path; InvalidInput otherwise."""
    text = origin.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidInput(f"{origin!r} is not an origin (scheme://host[:port])") from None
    host = parts.hostname or ""
    if (
        parts.scheme.lower() not in ("http", "https")
        or not host
        or not (_HOST.match(host) or ":" in host)
        or "@" in parts.netloc
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise InvalidInput(f"{origin!r} is not an origin (scheme://host[:port])")
    shown = f"[{host}]" if ":" in host else host
    suffix = f":{port}" if port is not None else ""
    return f"{parts.scheme.lower()}://{shown.lower()}{suffix}"


def normalise_origins(origins: Iterable[str]) -> list[str]:
    """Each origin normalised, duplicates dropped, order kept."""
    result: list[str] = []
    for origin in origins:
        clean = normalise_origin(origin)
        if clean not in result:
            result.append(clean)
    return result


def validate_theme(
    theme: Mapping[str, Any], *, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Merge `theme` over `base` (the defaults when None) and check every value."""
    merged = dict(DEFAULT_THEME if base is None else {**DEFAULT_THEME, **base})
    for key, value in theme.items():
        if key not in DEFAULT_THEME:
            raise InvalidInput(
                f"unknown theme setting {key!r}; choose from {', '.join(DEFAULT_THEME)}"
            )
        merged[key] = value
    for key in _COLOURS:
        if not isinstance(merged[key], str) or not _COLOUR.match(merged[key]):
            raise InvalidInput(f"{key} must be a colour like #1a2b3c, not {merged[key]!r}")
        merged[key] = merged[key].lower()
    if merged["position"] not in POSITIONS:
        raise InvalidInput(f"position must be one of {', '.join(POSITIONS)}")
    for key, (low, high) in _INTS.items():
        value = merged[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidInput(f"{key} must be a whole number from {low} to {high}")
    return merged
