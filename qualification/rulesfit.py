"""Reading the fit, behaviour and decay tables of a rules file (see `qualification.rules`)."""

from __future__ import annotations

from collections.abc import Callable

from qualification.configreader import ConfigReader
from qualification.parsers.result import Seniority
from qualification.ruletables import (
    Band,
    BehaviourRules,
    DecayRules,
    EventRule,
    FitRules,
    NameGroup,
    normalise_industry,
)
from qualification.stages import EventKind
from qualification.yamlsource import KeyPath

FIT_KEYS = ("industries", "company_size", "revenue", "geography", "seniority")
CAP = {"lo": 1, "hi": 1000}


def read_fit(
    r: ConfigReader, path: KeyPath, *, points: dict[str, int], country: tuple[str, str]
) -> FitRules:
    """The fit table; every sub-table is optional (absent: that rule never fires)."""
    r.mapping(path, optional=FIT_KEYS)
    pattern, hint = country

    def country_code(p: KeyPath) -> str:
        return r.text(p, pattern=pattern, hint=hint)

    seniority: list[tuple[Seniority, int]] = []
    if r.get((*path, "seniority"), None) is not None:
        levels = r.mapping((*path, "seniority"), optional=tuple(level.value for level in Seniority))
        seniority = [
            (Seniority(level), r.integer((*path, "seniority", level), **points)) for level in levels
        ]
    return FitRules(
        industries=_groups(
            r, (*path, "industries"), "names", points,
            lambda p: normalise_industry(r.text(p)),
        ),
        company_size=_bands(r, (*path, "company_size"), points, hi=1e9),
        revenue=_bands(r, (*path, "revenue"), points, hi=1e15),
        geography=_groups(r, (*path, "geography"), "countries", points, country_code),
        seniority=tuple(seniority),
    )  # fmt: skip


def _groups(
    r: ConfigReader,
    path: KeyPath,
    key: str,
    points: dict[str, int],
    read_name: Callable[[KeyPath], str],
) -> tuple[NameGroup, ...]:
    if r.get(path, None) is None:
        return ()
    groups: list[NameGroup] = []
    seen: set[str] = set()
    for index in range(len(r.sequence(path))):
        group: KeyPath = (*path, index)
        r.mapping(group, required=(key, "points"))
        names: list[str] = []
        for i in range(len(r.sequence((*group, key), allow_empty=False))):
            name = read_name((*group, key, i))
            if name in seen:
                r.fail((*group, key, i), f"'{name}' is listed more than once")
            seen.add(name)
            names.append(name)
        groups.append(NameGroup(names=tuple(names), points=r.integer((*group, "points"), **points)))
    return tuple(groups)


def _bands(
    r: ConfigReader, path: KeyPath, points: dict[str, int], *, hi: float
) -> tuple[Band, ...]:
    """Bands `{from, below, points}`; they must not overlap (checked in ascending order)."""
    if r.get(path, None) is None:
        return ()
    bands: list[tuple[int, Band]] = []
    for index in range(len(r.sequence(path))):
        band: KeyPath = (*path, index)
        r.mapping(band, required=("from", "points"), optional=("below",))
        start = r.number((*band, "from"), lo=0, hi=hi)
        below = None
        if r.get((*band, "below"), None) is not None:
            below = r.number((*band, "below"), lo=0, hi=hi)
            if below <= start:
                r.fail((*band, "below"), f"must be greater than from ({start:g}), got {below:g}")
        score = r.integer((*band, "points"), **points)
        bands.append((index, Band(start=start, below=below, points=score)))
    ordered = sorted(bands, key=lambda item: item[1].start)
    for (prev_index, prev), (index, band_) in zip(ordered, ordered[1:], strict=False):
        if prev.below is None or prev.below > band_.start:
            r.fail(
                (*path, index),
                f"overlaps band [{prev_index}] ({prev.describe()}); bands must not overlap",
            )
    return tuple(band_ for _, band_ in ordered)


def read_behaviour(r: ConfigReader, path: KeyPath, *, points: dict[str, int]) -> BehaviourRules:
    """Points per event kind, with an optional cap per kind; absent kinds score nothing."""
    kinds = r.mapping(path, optional=tuple(kind.value for kind in EventKind))
    rules: list[EventRule] = []
    for kind in kinds:
        rule: KeyPath = (*path, kind)
        r.mapping(rule, required=("points",), optional=("cap",))
        rules.append(
            EventRule(
                kind=EventKind(kind),
                points=r.integer((*rule, "points"), **points),
                cap=r.optional_integer((*rule, "cap"), **CAP),
            )
        )
    return BehaviourRules(events=tuple(rules))


def read_decay(r: ConfigReader, path: KeyPath) -> DecayRules:
    """Inactivity decay: negative points per full period after a grace period."""
    r.mapping(path, required=("grace_days", "every_days", "points"), optional=("cap",))
    return DecayRules(
        grace_days=r.integer((*path, "grace_days"), lo=0, hi=3650),
        every_days=r.integer((*path, "every_days"), lo=1, hi=3650),
        points=r.integer((*path, "points"), lo=-100, hi=-1),
        cap=r.optional_integer((*path, "cap"), **CAP),
    )
