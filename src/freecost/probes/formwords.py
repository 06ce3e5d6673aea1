"""What the ``form`` check shows of names and URLs in its summaries and details.

Both the page scan and Contact Form 7's verdict list field names, and both the exchange and
the probe show URLs; the rules for that (short, plain, no query) live here once so that every
part of the check shows the same thing and none shows a nonce.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from freecost.probes.httpbody import plain


def listing(words: Iterable[object]) -> str:
    """``a``, ``a and b``, ``a, b and c``: at most ten names, then how many more."""
    shown = [plain(str(word), 60) for word in words]
    if len(shown) > 10:
        shown = [*shown[:10], f"{len(shown) - 10} more"]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def where(url: str) -> str:
    """Host and path only: a query may hold a nonce, and a person needs no more to find it."""
    parts = urlsplit(url)
    return plain(f"{parts.hostname or '?'}{parts.path}", 120)


def shown_url(url: str) -> str:
    """The URL without its query and fragment, for the same reason as :func:`where`."""
    parts = urlsplit(url)
    return plain(urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), 300)
