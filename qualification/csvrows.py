"""Reading and checking CSV files of leads and behaviour events, before anything is stored.

Problems with the file as a whole (encoding, header) raise InvalidInput; problems with a row are
collected with the row's line number, so a report can list every rejected row at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from qualification.contactfields import (
    check_amount,
    check_count,
    check_country,
    check_email,
    check_moment,
)
from qualification.errors import InvalidInput
from qualification.stages import EventKind

LEAD_COLUMNS = (
    "email",
    "name",
    "title",
    "company_name",
    "company_domain",
    "industry",
    "employee_count",
    "annual_revenue",
    "country",
    "source_campaign",
    "source_asset",
    "source_channel",
)
EVENT_COLUMNS = ("email", "kind", "occurred_at", "asset", "url", "idempotency_key")
_TEXT_LIMITS = {
    "name": 200,
    "title": 200,
    "company_name": 200,
    "company_domain": 253,
    "industry": 100,
    "source_campaign": 200,
    "source_asset": 200,
    "source_channel": 100,
    "asset": 200,
    "url": 2000,
    "idempotency_key": 200,
}
_FUTURE_SLACK = timedelta(minutes=5)
_KINDS = ", ".join(kind.value for kind in EventKind)
_KIND_BY_TEXT = {kind.value: kind for kind in EventKind}
PROGRESS_EVERY = 10_000  # rows between two calls of a progress callback

Row = TypeVar("Row")
Checked = TypeVar("Checked")


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class LeadRow:
    line: int
    email: str
    values: dict[str, Any]  # only the cells that were filled in


@dataclass(frozen=True)
class EventRow:
    line: int
    email: str
    kind: EventKind
    occurred_at: datetime
    asset: str | None
    url: str | None
    idempotency_key: str | None


@dataclass(frozen=True)
class CheckedCsv(Generic[Row]):
    rows: list[Row] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.rejected)


def decode(data: bytes) -> str:
    """The file's text; it must be UTF-8 (a byte-order mark is allowed)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidInput(
            f"the file is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); "
            "save it as 'CSV UTF-8' and try again"
        ) from None
    if "\x00" in text:  # no text file has one, and PostgreSQL cannot store it
        line = text[: text.index("\x00")].count("\n") + 1
        raise InvalidInput(f"the file has a NUL character on line {line}: it is not a text file")
    return text


def _header(reader: Any, *, columns: tuple[str, ...], required: tuple[str, ...]) -> list[str]:
    """The column names of the first line; InvalidInput when they cannot be used."""
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise InvalidInput(f"line 1: the header is not valid CSV: {error}") from None
    if not header or not any(cell.strip() for cell in header):
        raise InvalidInput("the file is empty: the first line must name the columns")
    names = [cell.strip().lower() for cell in header]
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise InvalidInput(
            f"unknown columns: {', '.join(repr(n) for n in unknown)}; "
            f"the columns are {', '.join(columns)}"
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidInput(f"columns named more than once: {', '.join(repeated)}")
    missing = [c for c in required if c not in names]
    if missing:
        raise InvalidInput(f"missing required columns: {', '.join(missing)}")
    return names


def _records(reader: Any, names: list[str]) -> Iterator[tuple[int, list[str] | str]]:
    """(line, cells) per data row, or (line, reason) for a row of the wrong width."""
    end = reader.line_num
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield start, f"not valid CSV: {error}"
            return
        end = reader.line_num
        if not cells or (not cells[0].strip() and all(not c.strip() for c in cells)):
            continue  # blank lines are not rows
        if len(cells) != len(names):
            yield start, f"expected {len(names)} fields, found {len(cells)}"
            continue
        yield start, cells


def _check_rows(
    data: bytes,
    *,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    build: Callable[[int, list[str], dict[str, int], list[str]], Row | None],
    progress: Callable[[int], None] | None = None,
) -> CheckedCsv[Row]:
    """`build` makes a row of a line's cells, given each column's position, or adds reasons.
    `progress`, when given, is called with the number of lines read since its last call."""
    checked: CheckedCsv[Row] = CheckedCsv()
    reader = csv.reader(io.StringIO(decode(data), newline=""), strict=True)
    names = _header(reader, columns=columns, required=required)
    at = {name: position for position, name in enumerate(names)}
    # Only the columns the file has can be too long.
    limits = [(name, at[name], limit) for name, limit in _TEXT_LIMITS.items() if name in at]
    reported = count = 0
    for line, record in _records(reader, names):
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(line - reported)
            reported = line
        if isinstance(record, str):
            checked.rejected.append(RejectedRow(line, (record,)))
            continue
        reasons: list[str] = []
        for name, position, limit in limits:
            cell = record[position]
            if len(cell) > limit and len(cell.strip()) > limit:
                reasons.append(f"{name} is longer than {limit} characters")
        row = build(line, record, at, reasons)
        if reasons or row is None:
            checked.rejected.append(RejectedRow(line, tuple(reasons)))
        else:
            checked.rows.append(row)
    if progress is not None:
        progress(line_count(data) - reported)
    return checked


def line_count(data: bytes) -> int:
    """How many lines the file has (a last line without a line break counts too)."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


def _attempt(
    reasons: list[str], check: Callable[..., Checked], *args: Any, **kw: Any
) -> Checked | None:
    try:
        return check(*args, **kw)
    except ValueError as error:
        reasons.append(str(error))
        return None


class _Emails:
    """`check_email` once per distinct cell: a file names the same person on many rows."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str | None, str | None]] = {}

    def check(self, reasons: list[str], cell: str) -> str | None:
        found = self._seen.get(cell)
        if found is None:
            try:
                found = (check_email(cell), None)
            except ValueError as error:
                found = (None, str(error))
            self._seen[cell] = found
        if found[1] is not None:
            reasons.append(found[1])
        return found[0]


def check_leads_csv(
    data: bytes, *, progress: Callable[[int], None] | None = None
) -> CheckedCsv[LeadRow]:
    """Every row of a leads file, checked; `email` is the only required column. `progress`
    is called now and then with the number of lines read since its last call."""
    emails = _Emails()

    def build(
        line: int, cells: list[str], at: dict[str, int], reasons: list[str]
    ) -> LeadRow | None:
        email = emails.check(reasons, cells[at["email"]])
        values: dict[str, Any] = {}
        for name, position in at.items():
            text = cells[position].strip()
            if name == "email" or not text:
                continue
            if name == "employee_count":
                values[name] = _attempt(reasons, check_count, text, field=name)
            elif name == "annual_revenue":
                values[name] = _attempt(reasons, check_amount, text, field=name)
            elif name == "country":
                values[name] = _attempt(reasons, check_country, text)
            elif name == "company_domain":
                values[name] = text.lower()
            else:
                values[name] = text
        return None if email is None else LeadRow(line=line, email=email, values=values)

    return _check_rows(
        data, columns=LEAD_COLUMNS, required=("email",), build=build, progress=progress
    )


def check_events_csv(
    data: bytes, *, now: datetime, progress: Callable[[int], None] | None = None
) -> CheckedCsv[EventRow]:
    """Every row of an events file, checked; email, kind and occurred_at are required.
    `progress` is called now and then with the number of lines read since its last call."""
    emails = _Emails()

    latest = now + _FUTURE_SLACK

    def build(
        line: int, cells: list[str], at: dict[str, int], reasons: list[str]
    ) -> EventRow | None:
        email = emails.check(reasons, cells[at["email"]])
        kind_cell, moment_cell = cells[at["kind"]], cells[at["occurred_at"]]
        kind = _KIND_BY_TEXT.get(kind_cell.strip().lower())
        if kind is None:
            reasons.append(f"kind {kind_cell!r} is not one of {_KINDS}")
        moment: datetime | None
        try:
            moment = check_moment(moment_cell)
        except ValueError as error:
            reasons.append(str(error))
            moment = None
        if moment is not None and moment > latest:
            reasons.append(f"occurred_at {moment_cell.strip()} is in the future")
        if email is None or kind is None or moment is None:
            return None
        return EventRow(
            line=line,
            email=email,
            kind=kind,
            occurred_at=moment,
            asset=_optional(cells, at.get("asset")),
            url=_optional(cells, at.get("url")),
            idempotency_key=_optional(cells, at.get("idempotency_key")),
        )

    return _check_rows(
        data,
        columns=EVENT_COLUMNS,
        required=("email", "kind", "occurred_at"),
        build=build,
        progress=progress,
    )


def _optional(cells: list[str], position: int | None) -> str | None:
    """The trimmed cell of an optional column, or None when it is empty or not in the file."""
    return None if position is None else (cells[position].strip() or None)


def guess_kind(data: bytes) -> str:
    """ "events" when the header has a kind column, else "leads"."""
    first = decode(data[:65536].rsplit(b"\n", 1)[0] if b"\n" in data[:65536] else data[:65536])
    header = next(csv.reader(io.StringIO(first)), [])
    return "events" if "kind" in {cell.strip().lower() for cell in header} else "leads"
