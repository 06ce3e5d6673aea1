"""The quick path for plain e-mail addresses agrees with email_validator wherever it answers.

``plain_address`` exists so that loading an inventory need not import email_validator for
addresses like ``owner@example.com``. It may decline anything (email_validator then decides),
but whatever it accepts, email_validator must accept with the same normalised form.
"""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from freecost.model import plain_address


def library(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


ATOM_PIECES = ["a", "Z", "0", "_", "+", "-", "é", '"', "!", " ", "", "x" * 30]
LABEL_PIECES = [
    "a", "B", "9", "-", "--", "xn--", "xn--bcher-kva", "ab--cd", "test", "local", "onion",
    "arpa", "localhost", "invalid", "example", "com", "1", "é", "_", "", "y" * 62, "z" * 64,
]  # fmt: skip


def dotted(pieces: list[str]) -> st.SearchStrategy[str]:
    """Dot-separated parts, each a few pieces long; empty pieces make empty parts."""
    part = st.lists(st.sampled_from(pieces), min_size=1, max_size=4).map("".join)
    return st.lists(part, min_size=1, max_size=4).map(".".join)


addresses = st.one_of(
    st.builds("{}@{}".format, dotted(ATOM_PIECES), dotted(LABEL_PIECES)),
    st.text(alphabet="aZ0._+-@é!", max_size=40),
)


@settings(max_examples=600, deadline=None)
@given(addresses)
def test_whatever_the_quick_path_accepts_email_validator_accepts_the_same(address: str) -> None:
    quick = plain_address(address)
    if quick is not None:
        assert library(address) == quick


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("owner@baileyworkplay.example", "owner@baileyworkplay.example"),
        ("Chris.Bailey@Gmail.COM", "Chris.Bailey@gmail.com"),
        ("a_b+tag@mail-1.example.org", "a_b+tag@mail-1.example.org"),
    ],
)
def test_plain_addresses_take_the_quick_path(address: str, expected: str) -> None:
    assert plain_address(address) == expected == library(address)


@pytest.mark.parametrize(
    "address",
    [
        "a@xn--bcher-kva.example",  # punycode: email_validator shows it decoded
        "a@bücher.example",
        '"quoted"@example.com',
        "a@ab--cd.example",
        "a@host.test",
        "a@localhost",
        "a..b@example.com",
        "a@example",
        "a@example.c0m1",
        f"{'x' * 65}@example.com",
    ],
)
def test_anything_unusual_is_left_to_email_validator(address: str) -> None:
    assert plain_address(address) is None
