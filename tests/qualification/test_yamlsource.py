"""YAML loading that remembers lines, for config errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualification.errors import ConfigError, RulesConfigError
from qualification.yamlsource import load_yaml, parse_yaml


def test_line_of_nested_values() -> None:
    doc = parse_yaml("a: 1\nsteps:\n  - id: x\n  - id: y\n    retry_cap: two\n", file="f.yaml")
    assert doc.data == {"a": 1, "steps": [{"id": "x"}, {"id": "y", "retry_cap": "two"}]}
    assert doc.line_of(("steps", 1, "retry_cap")) == 5
    assert doc.line_of(("steps", 0, "id")) == 3
    assert doc.line_of(("steps", 1, "missing")) == 4  # nearest ancestor


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse_yaml("a: [1,\nb", file="broken.yaml")
    assert info.value.file == "broken.yaml"
    assert info.value.line == 2
    assert str(info.value).startswith("broken.yaml:2: (syntax):")


def test_empty_file_is_an_error() -> None:
    with pytest.raises(ConfigError, match="the file is empty"):
        parse_yaml("", file="empty.yaml")


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(RulesConfigError, match="file not found"):
        load_yaml(tmp_path / "nope.yaml", error=RulesConfigError)
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(RulesConfigError, match="not valid UTF-8"):
        load_yaml(bad, error=RulesConfigError)


def test_repeated_key_is_an_error() -> None:
    with pytest.raises(ConfigError) as info:
        parse_yaml("a: 1\nb:\n  c: 1\n  c: 2\n", file="dup.yaml")
    assert (info.value.line, info.value.field) == (4, "b.c")
    assert "appears twice (first on line 3)" in str(info.value)
