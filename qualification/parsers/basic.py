"""Parsers for the simple answer kinds: email, yes/no, choice, number and free text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email
from rapidfuzz import fuzz

from qualification.parsers.result import AnswerKind, Choice, ParseResult, ParseStatus
from qualification.parsers.text import (
    APPROXIMATE,
    clean,
    find_numbers,
    format_amount,
    invalid,
    normalise,
    result,
)

# Something shaped like an address inside a sentence ("my email is jane@acme.com, thanks").
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"]{1,64}@[^\s<>()\[\],;:\"'@]{1,255}")
_YES = {
    "yes", "y", "yeah", "yea", "yep", "yup", "ya", "sure", "correct", "absolutely", "1",
    "true", "ok", "okay", "definitely", "of course", "certainly", "right", "affirmative",
    "that's right", "that is right", "indeed", "totally", "exactly", "sounds good", "yes please",
    "i do", "we do", "it is", "i am", "we are", "si", "oui", "ja", "👍",
}  # fmt: skip
_NO = {
    "no", "n", "nope", "nah", "not really", "0", "false", "negative", "no way", "never",
    "not at all", "no thanks", "no thank you", "incorrect", "wrong", "definitely not",
    "absolutely not", "i don't", "we don't", "i do not", "we do not", "not quite", "nein",
    "non", "👎",
}  # fmt: skip
_MAYBE = re.compile(
    r"^(maybe|perhaps|possibly|not sure|unsure|i don'?t know|dunno|no idea|idk|kind of|sort of"
    r"|partly|it depends|depends|hard to say|can'?t say|not yet sure)$"
)
_CHOICE_NUMBER = re.compile(r"^(?:(?:option|number|no\.?|choice|#)\s*)?#?(\d{1,3})[.)]?$")
_FUZZY_THRESHOLD = 80.0
_SUMMARY_CHARS = 200


def parse_email(text: str) -> ParseResult[str]:
    """A valid email address from the answer, with its domain in lower case."""
    raw = clean(text)
    found = _ADDRESS.findall(raw)
    if not found:
        return invalid(
            AnswerKind.EMAIL, "That doesn't look like an email address (name@company.com)."
        )
    if len({a.lower().rstrip(".") for a in found}) > 1:
        return invalid(AnswerKind.EMAIL, "I found more than one email address; which one is yours?")
    candidate = found[0].rstrip(".!?")
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        return invalid(AnswerKind.EMAIL, f"'{candidate}' is not a valid email address: {error}")
    local, _, domain = checked.normalized.rpartition("@")
    address = f"{local}@{domain.lower()}"
    return result(
        AnswerKind.EMAIL, ParseStatus.OK, address, 0.95 if raw == candidate else 0.9, address
    )


def parse_yes_no(text: str) -> ParseResult[bool]:
    """Yes or no ("yep", "not really"); "maybe" and the like are unknown."""
    s = re.sub(r"[.!,;]+$|^[\s.!,;]+", "", normalise(text)).strip()
    s = re.sub(r"\s*[!.,]+\s*", " ", s).strip()
    if not s:
        return invalid(AnswerKind.YES_NO, "Please answer yes or no.")
    if s in _YES:
        return result(AnswerKind.YES_NO, ParseStatus.OK, True, 0.95, "yes")
    if s in _NO:
        return result(AnswerKind.YES_NO, ParseStatus.OK, False, 0.95, "no")
    if _MAYBE.match(s):
        return result(AnswerKind.YES_NO, ParseStatus.UNKNOWN, None, 0.9, "not sure")
    first = s.split(" ", 1)[0]
    if first in _YES and first not in ("1", "right", "ok", "okay"):
        return result(AnswerKind.YES_NO, ParseStatus.OK, True, 0.8, "yes")
    if first in _NO and first not in ("0", "never"):
        return result(AnswerKind.YES_NO, ParseStatus.OK, False, 0.8, "no")
    return invalid(AnswerKind.YES_NO, "Please answer yes or no.")


def parse_choice(text: str, *, choices: Sequence[Choice]) -> ParseResult[str]:
    """The value of the chosen option, by number, label, value, synonym or a close spelling."""
    s = normalise(text).casefold().strip(" .!?")
    options = "; ".join(f"{i}. {c.label}" for i, c in enumerate(choices, 1))
    pick_one = f"Please pick one of: {options}." if choices else "There is nothing to choose from."
    if not s or not choices:
        return invalid(AnswerKind.CHOICE, pick_one)
    number = _CHOICE_NUMBER.match(s)
    if number:
        index = int(number.group(1))
        if 1 <= index <= len(choices):
            chosen = choices[index - 1]
            return result(AnswerKind.CHOICE, ParseStatus.OK, chosen.value, 0.95, chosen.label)
    exact = [c for c in choices if s in _names(c)]
    if len({c.value for c in exact}) == 1:
        return result(AnswerKind.CHOICE, ParseStatus.OK, exact[0].value, 0.95, exact[0].label)
    if exact:
        return invalid(AnswerKind.CHOICE, f"That matches more than one option. {pick_one}")
    scored = sorted(
        ((max(fuzz.ratio(s, name) for name in _names(c)), i) for i, c in enumerate(choices)),
        reverse=True,
    )
    best, index = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if best >= _FUZZY_THRESHOLD and best - runner_up >= 5:
        chosen = choices[index]
        return result(
            AnswerKind.CHOICE, ParseStatus.OK, chosen.value, 0.5 + best / 250, chosen.label
        )
    contained = {c.value: c for c in choices if any(_word_in(n, s) for n in _names(c))}
    if len(contained) == 1:
        chosen = next(iter(contained.values()))
        return result(AnswerKind.CHOICE, ParseStatus.OK, chosen.value, 0.7, chosen.label)
    return invalid(AnswerKind.CHOICE, pick_one)


def _names(choice: Choice) -> set[str]:
    names = (normalise(n).casefold() for n in (choice.value, choice.label, *choice.synonyms))
    return {name for name in names if name}


def _word_in(name: str, text: str) -> bool:
    return len(name) >= 3 and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def parse_number(text: str) -> ParseResult[float]:
    """A number such as "250", "1,200", "about 50" or "2.5k"."""
    s = normalise(text)
    found = find_numbers(s)
    if len(found) != 1:
        why = "I couldn't find a number" if not found else "I found more than one number"
        return invalid(AnswerKind.NUMBER, f"{why}; please answer with one number.")
    number = found[0]
    value = float(number.amount)
    if s[: number.start].rstrip().endswith("-"):
        value = -value
    hedged = APPROXIMATE.search(s) is not None
    confidence = 0.8 if hedged else 0.95
    if len(s) > number.end - number.start + 40:  # a number buried in a long sentence
        confidence -= 0.2
    summary = ("about " if hedged else "") + format_amount(value)
    return result(AnswerKind.NUMBER, ParseStatus.OK, value, confidence, summary)


def parse_text(text: str) -> ParseResult[str]:
    """Free text, trimmed; empty is invalid. The read-back summary is shortened, not the value."""
    value = clean(text)
    if not value:
        return invalid(AnswerKind.TEXT, "The answer was empty.")
    summary = value if len(value) <= _SUMMARY_CHARS else value[: _SUMMARY_CHARS - 1] + "…"
    return result(AnswerKind.TEXT, ParseStatus.OK, value, 0.95, summary)
