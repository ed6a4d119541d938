"""Authority answers: whether the person decides on the purchase, and who else does."""

from __future__ import annotations

import re

from qualification.parsers.result import (
    AnswerKind,
    AuthorityValue,
    DecisionMaker,
    ParseResult,
    ParseStatus,
    Seniority,
)
from qualification.parsers.seniority import parse_seniority
from qualification.parsers.text import MAX_CHARS, clean, invalid, result

# People and groups who can hold the purchase decision, as named in answers.
_PERSON = (
    r"c[a-z]o|ciso|(?:s|e)?vp(?: of [a-z]+)?|vice president(?: of [a-z]+)?|head of [a-z]+"
    r"|(?:managing )?director(?: of [a-z]+)?|co-?founders?|founders?|owners?|president"
    r"|board(?: of directors)?|boss|(?:line )?manager|supervisor|procurement|purchasing"
    r"|finance(?: team)?|legal|it (?:team|department)|leadership(?: team)?|management"
    r"|exec(?:utive)? team|execs|partners?|committee|team lead|my lead|higher[- ]ups"
    r"|upper management|chief [a-z]+ officer"
)
_OTHER = re.compile(rf"\b({_PERSON})\b")
_ACRONYM = re.compile(r"^(c[a-z]o|ciso|s?vp|evp|it)\b")
_ROLE = re.compile(
    r"\b(?:i'?m|i am|im|i work as|my (?:title|role|position|job) is|as)\s+(?:the |a |an |our )?"
    r"(?P<role>[^,.;:!?()]{1,60}?)(?=\s+(?:and|but|so|who|which|here|at|for|with|in|,)\b|[,.;:!?()]|$)"
)
_SHARED = re.compile(
    r"(\bas a team\b|\btogether\b|\bjointly\b|\bcommittee\b|\bconsensus\b|\bshared\b"
    r"|\bboth of us\b|\bwe (all )?(decide|make the (call|decision)|sign off)\b|\bgroup decision\b"
    r"|\bone of the (decision makers|people who decide|signers|approvers)\b|\bco-?decide\b"
    rf"|\b(me|myself|i) (and|&|with|plus) (my |our |the )?({_PERSON})\b"
    rf"|\b({_PERSON}) (and|&) (me|myself|i)\b"
    r"|\b(with|alongside) (my|our|the) \w+|\bjoint decision\b|\bpart of the decision\b"
    r"|\bshare the decision\b|\bwe both\b|\bneeds? (to )?agree\b)"
)
_NOT_ME = re.compile(
    r"(\bnot (the |a |really the )?(decision[- ]?maker|one who decides|final say"
    r"|person who decides)"
    r"|\bnot (my|up to me|me)\b|\babove my pay ?grade\b|\bno,? (it'?s |that'?s )?(not|someone)\b"
    r"|\brun (it|this|that) (by|past)\b|\bcheck with\b|\bask (my|our|the)\b|\bneed (the |my |our )?"
    r"\w*\s?(approval|sign[- ]?off|ok|go[- ]ahead|blessing)\b|\b(approval|sign[- ]?off) from\b"
    r"|\bi (just |only )?(recommend|research|evaluate|influence)\b|\bi don'?t (decide|sign)\b"
    r"|\bi'?m (just |only )?(an? )?(influencer|evaluator)|\bi can'?t (sign|decide|approve)\b"
    r"|^no\b|^nope\b|^nah\b)"
)
_SOMEONE_ELSE = re.compile(
    r"(\bdecides?\b|\bmakes? the (final )?(call|decision)\b|\bhas (the )?(final )?say\b"
    r"|\bsigns? (off|the (contract|cheque|check|po))\b|\bapproves?\b|\bup to (my|our|the)\b"
    r"|\bowns? the budget\b|\bcontrols? the budget\b|\bhas to (approve|sign|agree)\b"
    r"|\bwould decide\b|\bwill decide\b|\bcalls the shots\b|\bto approve\b)"
)
_YES = re.compile(
    r"(\bi (make|take) the (final )?(call|decision)s?\b|\bi (decide|sign|approve|own the budget"
    r"|have (the )?(final )?say|have sign[- ]?off|can sign|can approve|sign off|call the shots)\b"
    r"|\bi'?m the (final |ultimate |main )?(decision[- ]?maker|one who decides|budget holder"
    r"|approver|signer|buyer)\b|\b(it'?s|its) my (call|decision)\b|\bmy (call|decision)\b"
    r"|\bup to me\b|\bthe buck stops\b|\bmy budget\b)"
)
_ME = re.compile(
    r"(\bthat'?s me\b|\bthat would be me\b|\bme\b|\bmyself\b|^i (do|am)\W*$|\b(yes|yeah|yep|yup)\b"
    r"|^(yes|yeah|yep|yup|sure|correct|absolutely|of course|definitely|y)\b)"
)
_UNSURE = re.compile(
    r"\b(not sure|unsure|don'?t know|dunno|no idea|unclear|tbd|depends|it depends|hard to say"
    r"|not decided|to be decided|no clue|haven'?t (decided|figured))\b"
)


def _display(name: str) -> str:
    if _ACRONYM.match(name):
        head, _, rest = name.partition(" ")
        return f"{head.upper()} {rest}".strip()
    return name


def _role(original: str, lowered: str) -> tuple[str | None, tuple[int, int]]:
    """The person's own title ("VP of Sales") and where it was, if they stated one."""
    for found in _ROLE.finditer(lowered):
        role = found["role"].strip()
        if parse_seniority(role) is not None and len(role) <= 60:
            span = found.span("role")
            if len(original) == len(lowered):  # keep the person's own capitalisation
                role = original[span[0] : span[1]].strip()
            return role, span
    return None, (0, 0)


def _others(lowered: str, skip: tuple[int, int]) -> tuple[str, ...]:
    names: list[str] = []
    for found in _OTHER.finditer(lowered):
        if skip[0] <= found.start() < skip[1]:
            continue
        name = _display(found.group(0))
        if name not in names:
            names.append(name)
    return tuple(names)


def _summary(value: AuthorityValue) -> str:
    who = f" ({value.role})" if value.role else ""
    others = ", ".join(value.others)
    if value.decision_maker is DecisionMaker.YES:
        return f"decision maker{who}"
    if value.decision_maker is DecisionMaker.SHARED:
        return f"shares the decision{who}" + (f" with {others}" if others else "")
    if value.decision_maker is DecisionMaker.NO:
        decides = f"; {others} decide{'s' if len(value.others) == 1 else ''}" if others else ""
        return f"not the decision maker{who}{decides}"
    return f"decision maker not known{who}"


def parse_authority(text: str) -> ParseResult[AuthorityValue]:
    """Who decides: "I sign off" (yes), "my CFO decides" (no), "we decide as a team" (shared)."""
    kind = AnswerKind.ROLE
    original = clean(str(text)[:MAX_CHARS])
    lowered = original.lower()
    if not any(ch.isalnum() for ch in lowered):
        return invalid(kind, "please say who makes the purchase decision")
    role, span = _role(original, lowered)
    others = _others(lowered, span)
    seniority = parse_seniority(role) if role else None
    unsure = _UNSURE.search(lowered) is not None
    # The person's own title ("VP of Sales and I sign off") is not someone they share with.
    masked = lowered[: span[0]] + " " * (span[1] - span[0]) + lowered[span[1] :]
    if _SHARED.search(masked):
        decision, confidence = DecisionMaker.SHARED, 0.85
    elif _NOT_ME.search(lowered):
        decision, confidence = DecisionMaker.NO, 0.85 if others else 0.75
    elif _YES.search(lowered):
        decision, confidence = DecisionMaker.YES, 0.85
    elif _SOMEONE_ELSE.search(lowered) and others:
        decision, confidence = DecisionMaker.NO, 0.85
    elif _ME.search(lowered) and not others and not unsure:
        decision, confidence = DecisionMaker.YES, 0.8
    elif others and not unsure:
        # Naming someone else in answer to "who decides?" means it is not this person.
        decision, confidence = DecisionMaker.NO, 0.65
    elif seniority is Seniority.C_LEVEL and not unsure:
        # A founder or chief officer usually decides, but they did not say so: confirm it.
        decision, confidence = DecisionMaker.YES, 0.55
    else:
        decision, confidence = DecisionMaker.UNKNOWN, 0.8 if unsure else 0.3
    if decision is DecisionMaker.YES and confidence >= 0.8 and seniority and not others:
        confidence = 0.9
    value = AuthorityValue(decision, role, seniority, others)
    status = ParseStatus.UNKNOWN if decision is DecisionMaker.UNKNOWN else ParseStatus.OK
    return result(kind, status, value, confidence, _summary(value))
