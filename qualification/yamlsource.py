"""Load a YAML document and remember the line of every value, for error messages.

`load_yaml(path)` returns a `YamlDocument`: the plain data (dicts, lists, scalars)
and `line_of(path)` for any key path such as ("steps", 2, "retry_cap"). Config
loaders (rules, flows) use it so that a malformed file names file, line and field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qualification.errors import ConfigError

KeyPath = tuple[str | int, ...]


@dataclass
class YamlDocument:
    file: str
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int | None:
        """The 1-based line of the value at `path`, or of its nearest ancestor."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def _walk(
    node: yaml.Node,
    path: KeyPath,
    lines: dict[KeyPath, int],
    file: str,
    error: Callable[..., ConfigError],
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            key = str(key)
            if key in result:
                field = ".".join(str(p) for p in (*path, key))
                raise error(
                    file=file,
                    line=key_node.start_mark.line + 1,
                    field=field,
                    message=f"'{key}' appears twice (first on line {lines[(*path, key)]})",
                )
            result[key] = _walk(value_node, (*path, key), lines, file, error)
            # Point a key's path at its key line; the value may start on a later line.
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, i), lines, file, error) for i, item in enumerate(node.value)]
    loader = yaml.SafeLoader("")
    return loader.construct_object(node, deep=True)


def parse_yaml(
    text: str,
    *,
    file: str,
    error: Callable[..., ConfigError] = ConfigError,
) -> YamlDocument:
    """Parse YAML text; a syntax error becomes `error(file=, line=, field=, message=)`."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise error(
            file=file,
            line=mark.line + 1 if mark else None,
            field="(syntax)",
            message=str(exc.problem or exc).strip(),
        ) from exc
    except yaml.YAMLError as exc:
        raise error(file=file, line=None, field="(syntax)", message=str(exc)) from exc
    if node is None:
        raise error(file=file, line=1, field="(document)", message="the file is empty")
    lines: dict[KeyPath, int] = {}
    data = _walk(node, (), lines, file, error)
    return YamlDocument(file=file, data=data, lines=lines)


def load_yaml(path: Path, *, error: Callable[..., ConfigError] = ConfigError) -> YamlDocument:
    """Read and parse a YAML file (UTF-8); unreadable files raise `error` too."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error(file=str(path), line=None, field="(file)", message="file not found") from exc
    except UnicodeDecodeError as exc:
        raise error(
            file=str(path), line=None, field="(file)", message="the file is not valid UTF-8"
        ) from exc
    return parse_yaml(text, file=str(path), error=error)
