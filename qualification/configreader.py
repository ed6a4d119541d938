"""Typed reading of a YAML configuration document, with errors that name file, line and field.

A `ConfigReader` walks a `YamlDocument` by key path. Every getter checks the type and range of
one value and raises the configured `ConfigError` subclass with the value's line and a dotted
field path such as `fit.company_size[1].points`. Unknown keys are errors, so typos never pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, NoReturn, TypeVar

from qualification.errors import ConfigError
from qualification.yamlsource import KeyPath, YamlDocument

E = TypeVar("E", bound=Enum)
_MISSING = object()


def field_path(path: KeyPath) -> str:
    """`("fit", "company_size", 1, "points")` -> `fit.company_size[1].points`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(document)"


def show(value: Any) -> str:
    """A value as the person wrote it in YAML, for 'got ...' in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class ConfigReader:
    """Reads values of one document by key path; each failure raises `error`."""

    def __init__(self, doc: YamlDocument, *, error: Callable[..., ConfigError]) -> None:
        self.doc = doc
        self.error = error

    def fail(self, path: KeyPath, message: str) -> NoReturn:
        raise self.error(
            file=self.doc.file, line=self.doc.line_of(path), field=field_path(path), message=message
        )

    def get(self, path: KeyPath, default: Any = _MISSING) -> Any:
        """The raw value at `path`; `default` when absent (or an error if no default is given)."""
        node: Any = self.doc.data
        for depth, part in enumerate(path):
            present = (isinstance(part, str) and isinstance(node, dict) and part in node) or (
                isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node)
            )
            if not present:
                if default is not _MISSING:
                    return default
                self.fail(path[: depth + 1], "missing required field")
            node = node[part]
        return node

    def has(self, path: KeyPath) -> bool:
        return self.get(path, None) is not None

    def mapping(
        self, path: KeyPath, *, required: Iterable[str] = (), optional: Iterable[str] = ()
    ) -> dict[str, Any]:
        """A mapping whose keys are all known; required keys must be present."""
        value = self.get(path)
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping of fields, got {show(value)}")
        required = tuple(required)
        allowed = (*required, *optional)
        for key in value:
            if key not in allowed:
                self.fail((*path, key), f"unknown field (expected one of: {', '.join(allowed)})")
        for key in required:
            if key not in value:
                self.fail((*path, key), "missing required field")
        return value

    def sequence(self, path: KeyPath, *, allow_empty: bool = True) -> list[Any]:
        value = self.get(path)
        if not isinstance(value, list):
            self.fail(path, f"must be a list, got {show(value)}")
        if not allow_empty and not value:
            self.fail(path, "must not be empty")
        return value

    def texts(self, path: KeyPath, **kwargs: Any) -> tuple[str, ...]:
        """A list of texts (see `text`); absent or null means empty."""
        if self.get(path, None) is None:
            return ()
        return tuple(self.text((*path, i), **kwargs) for i in range(len(self.sequence(path))))

    def integer(self, path: KeyPath, *, lo: int, hi: int) -> int:
        value = self.get(path)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.fail(path, f"must be an integer between {lo} and {hi}, got {show(value)}")
        return value

    def optional_integer(self, path: KeyPath, *, lo: int, hi: int) -> int | None:
        if self.get(path, None) is None:
            return None
        return self.integer(path, lo=lo, hi=hi)

    def number(self, path: KeyPath, *, lo: float, hi: float) -> float:
        value = self.get(path)
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            self.fail(path, f"must be a number between {lo:g} and {hi:g}, got {show(value)}")
        return float(value)

    def text(
        self, path: KeyPath, *, pattern: str | None = None, hint: str = "", max_length: int = 200
    ) -> str:
        """A non-empty string; with `pattern` it must match fully (`hint` says what is meant)."""
        value = self.get(path)
        if not isinstance(value, str) or not value.strip():
            what = f" ({hint})" if hint else ""
            self.fail(path, f"must be a non-empty text{what}, got {show(value)}")
        value = value.strip()
        if len(value) > max_length:
            self.fail(path, f"must be at most {max_length} characters long")
        if pattern is not None and re.fullmatch(pattern, value) is None:
            self.fail(path, f"must be {hint or 'of the form ' + pattern}, got {show(value)}")
        return value

    def choice(self, path: KeyPath, enum: type[E]) -> E:
        value = self.get(path)
        for member in enum:
            if member.value == value:
                return member
        expected = ", ".join(str(member.value) for member in enum)
        self.fail(path, f"must be one of: {expected}; got {show(value)}")

    def enum_list(self, path: KeyPath, enum: type[E]) -> tuple[E, ...]:
        """A list of enum values without repeats; absent means empty."""
        if self.get(path, None) is None:
            return ()
        items: list[E] = []
        for index in range(len(self.sequence(path))):
            member = self.choice((*path, index), enum)
            if member in items:
                self.fail((*path, index), f"'{member.value}' is listed twice")
            items.append(member)
        return tuple(items)
