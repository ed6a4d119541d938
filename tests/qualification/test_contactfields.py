"""Lead fields from outside: the quick check of plain addresses agrees with email_validator."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from qualification.contactfields import _plain_email, check_email

ATOMS = st.lists(st.text(alphabet="abz09_+-.", min_size=0, max_size=9), min_size=1, max_size=3)
LABELS = st.lists(st.text(alphabet="abxn09-", min_size=0, max_size=9), min_size=0, max_size=3)
TLDS = st.sampled_from(
    ["io", "com", "example", "test", "local", "localhost", "arpa", "onion", "invalid", "a", "x0"]
) | st.text(alphabet="az09-", min_size=0, max_size=5)
ADDRESSES = st.builds(
    lambda atoms, labels, tld: ".".join(atoms) + "@" + ".".join([*labels, tld]), ATOMS, LABELS, TLDS
)


def _validated(text: str) -> str | None:
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@settings(max_examples=3000)
@given(st.one_of(ADDRESSES, st.text(alphabet="ab0.@-_+", max_size=24)))
def test_an_address_the_quick_check_accepts_is_valid_and_normalised(text: str) -> None:
    if _plain_email(text):
        assert _validated(text) == text


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("jane@acme.io", True),
        ("jane.doe+crm@mail.acme-corp.example", True),
        ("x" * 64 + "@acme.io", True),
        ("x" * 65 + "@acme.io", False),  # too long before the @-sign
        ("jane@" + "a" * 63 + ".io", True),
        ("jane@" + "a" * 64 + ".io", False),  # a label longer than 63
        ("jane@" + ("a" * 60 + ".") * 4 + "io", True),
        ("jane@" + ("a" * 60 + ".") * 5 + "io", False),  # longer than 254
        ("Jane@acme.io", False),  # upper case: email_validator normalises it
        ("jane@acme.test", False),  # special-use
        ("jane@xn--bcher-kva.example", False),  # Punycode
        ("jane@ab--cd.io", False),
        ("jane@acme.c0m", False),
        ("jane@localhost", False),
        ("jane..doe@acme.io", False),
        (".jane@acme.io", False),
    ],
)
def test_the_quick_check_takes_only_plain_addresses(text: str, plain: bool) -> None:
    assert _plain_email(text) is plain
    if plain:
        assert _validated(text) == text
        assert check_email(f"  {text} ") == text


def test_an_address_the_quick_check_leaves_out_is_still_checked_in_full() -> None:
    assert check_email(" JANE@Acme.IO ") == "jane@acme.io"
    with pytest.raises(ValueError, match="special-use or reserved"):
        check_email("jane@acme.test")
