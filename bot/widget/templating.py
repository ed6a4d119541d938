"""Jinja2 for the widget's pages (autoescaping on), and where its files live."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

import templates

TEMPLATES_DIR = Path(templates.__file__).resolve().parent
STATIC_DIR = Path(__file__).resolve().parent / "static"


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context: Any) -> str:
    """Render a template under templates/ with HTML autoescaping."""
    return environment().get_template(name).render(**context)
