"""Tokens that mark one canary run's test message, call or form submission.

A canary proves delivery by finding its own token at the far end, so every run draws a fresh
one from the operating system's random source: one run can never match another run's
message, and nobody can forge a pass by replaying an old one.
"""

from __future__ import annotations

import secrets

TOKEN_PREFIX = "freecost-"
TOKEN_HEADER = "X-Freecost-Token"
"""The header an e-mail canary carries its token in (besides the Subject and Message-ID)."""


def text_token() -> str:
    """A token for text channels (e-mail, forms, texts): ``freecost-`` and 16 hex digits."""
    return TOKEN_PREFIX + secrets.token_hex(8)


def digit_token(length: int = 6) -> str:
    """A token a voice can speak and a transcript can carry: ``length`` decimal digits."""
    if length < 4:
        raise ValueError("a spoken token needs at least 4 digits to be told apart")
    return "".join(secrets.choice("0123456789") for _ in range(length))


def spoken(token: str) -> str:
    """The digits spaced out, so a text-to-speech voice reads them one by one."""
    return " ".join(token)
