"""Need answers: which of the business's pain points the person describes, typos and all."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from qualification.parsers.result import (
    AnswerKind,
    NeedValue,
    PainPoint,
    PainPointMatch,
    ParseResult,
    ParseStatus,
)
from qualification.parsers.text import MAX_CHARS, clean, invalid, result

THRESHOLD = 80.0  # rapidfuzz score (0..100) a phrase must reach to count as a match

_NO_NEED = re.compile(
    r"^(no|none|nothing|nope|nah|n/?a|not really|nothing really|nothing much|all good|we'?re good"
    r"|we'?re fine|i'?m fine|fine)\W*$|\bno (real |particular |specific |actual )?"
    r"(need|problem|issue|pain|challenge)s?\b|\bjust (browsing|looking|curious|researching)\b"
    r"|\bnothing (in particular|specific|really|at the moment|right now)\b|\bnot (looking|in the"
    r" market)\b|\bdon'?t (really )?(need|have a need)\b|\bno pain\b"
)
_UNSURE = re.compile(r"^(not sure|unsure|don'?t know|dunno|no idea|tbd|hard to say)\W*$")


def _words(text: str) -> str:
    """Lower case, punctuation to spaces, hyphens removed ("follow-up" == "follow up")."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower().replace("-", " ")).split())


def _phrase_score(phrase: str, text: str) -> float:
    """How well a pain-point phrase is present in the answer, 0..100."""
    if not phrase or not text:
        return 0.0
    if len(phrase) < 4:  # very short words only count when they appear as words
        return 100.0 if re.search(rf"\b{re.escape(phrase)}\b", text) else 0.0
    if " " not in phrase:  # one word: compare word to word, so "manual" is not in "annual"
        return max((_word_score(phrase, word) for word in set(text.split())), default=0.0)
    if len(text) < len(phrase):
        return float(fuzz.ratio(phrase, text))
    partial = fuzz.partial_ratio(phrase, text)
    token_set = fuzz.token_set_ratio(phrase, text) if len(phrase.split()) > 1 else 0.0
    # token_set_ratio rewards a shared word or two too much in long answers: weigh it down
    # unless most of the phrase's words are really there.
    return float(max(partial, token_set * _word_coverage(phrase, text)))


def _word_score(keyword: str, word: str) -> float:
    if word.startswith(keyword):  # "spreadsheets", "manually"
        return 100.0
    score = float(fuzz.ratio(keyword, word))
    # A one-letter slip in a short word is usually another word ("annual" vs "manual").
    return score if len(keyword) > 6 or score >= 90 else 0.0


def _word_coverage(phrase: str, text: str) -> float:
    words = phrase.split()
    present = set(text.split())
    close = sum(1 for w in words if w in present or any(fuzz.ratio(w, t) >= 85 for t in present))
    return close / len(words)


def _score(pain_point: PainPoint, text: str) -> float:
    phrases = {_words(pain_point.label), *(_words(k) for k in pain_point.keywords)}
    return max((_phrase_score(p, text) for p in phrases if p), default=0.0)


def parse_need(text: str, *, pain_points: Sequence[PainPoint]) -> ParseResult[NeedValue]:
    """The configured pain points the answer mentions, best first; the raw text is kept."""
    kind = AnswerKind.NEED
    raw = clean(text)
    words = _words(raw[:MAX_CHARS])
    if not words:
        return invalid(kind, "please describe the problem you want to solve")
    if _UNSURE.search(words):
        return result(kind, ParseStatus.UNKNOWN, None, 0.8, "need not known yet")
    matches = [
        PainPointMatch(pain_point.id, round(score / 100, 2))
        for pain_point in pain_points
        if (score := _score(pain_point, words)) >= THRESHOLD
    ]
    matches.sort(key=lambda m: (-m.score, m.pain_point))
    if not matches and _NO_NEED.search(raw.lower()):
        return result(kind, ParseStatus.NONE, None, 0.85, "no particular need")
    value = NeedValue(tuple(matches), raw)
    if not matches:
        # The text is kept as said; reading it back would only repeat it, so no confirmation.
        return result(
            kind, ParseStatus.OK, value, 0.65, f"need noted (no known pain point): {_short(raw)}"
        )
    labels = {p.id: p.label for p in pain_points}
    names = ", ".join(labels[m.pain_point] for m in matches)
    confidence = max(m.score for m in matches) * 0.95
    return result(kind, ParseStatus.OK, value, confidence, f"pain points: {names}")


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77].rstrip() + "..."
