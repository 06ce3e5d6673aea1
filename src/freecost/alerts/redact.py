"""Keeping notification URLs out of what people read: a target name without the token, and
any text scrubbed of every part of the URL.

Notification URLs carry their secrets in different places: an SMTP password in the account
part, a Pushover key where the host goes, a Slack or Discord token in the path, an ntfy topic
as the host. So the target shows a host only when it is an address or a dotted host name, and
the scrub hides the whole URL, its account, every path segment and query value.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, unquote

HIDDEN = "[hidden]"
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,31}")
_HOST_NAME = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")


def target_of(url: str) -> str:
    """The scheme and host of ``url``: enough to tell notifiers apart, no token."""
    scheme, _, rest = url.strip().partition("://")
    scheme = scheme.lower()
    if not rest or not _SCHEME.fullmatch(scheme):
        return "(not a notification URL)"
    host = _host(rest)
    return f"{scheme}://{host}" if _shareable(host) else f"{scheme}://…"


def _host(rest: str) -> str:
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        return hostport[1:].partition("]")[0].lower()
    return hostport.partition(":")[0].lower()


def _shareable(host: str) -> bool:
    # Many services put a token where the host goes (pover://USER_KEY@TOKEN, ntfy://TOPIC,
    # tgram://BOT_TOKEN/...): only an address or a dotted host name is shown.
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(_HOST_NAME.fullmatch(host))
    return True


def secret_parts(url: str) -> tuple[set[str], set[str]]:
    """The pieces of ``url`` that may be secret: (any length, four characters or more).

    The first set is the account part (user and password), hidden however short; the second
    is everything else (the whole URL, the host when it is not shown, each path segment and
    query value). The scheme and the shown host are not secret and are left out.
    """
    whole = url.strip()
    scheme, _, rest = whole.partition("://")
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
    after = rest[len(netloc) :]
    path, _, query = after.partition("?")
    path, _, path_fragment = path.partition("#")
    query, _, fragment = query.partition("#")
    userinfo, _, hostport = netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    host, _, port = hostport.partition(":")
    account = {userinfo, user, password}
    others = {url, whole, rest, after, path, query, fragment}
    if userinfo:
        others.add(netloc)
    if not (_shareable(host.lower()) and port.isdigit()):
        # A host that is shown, with a port number, is an address; anything else may be a key.
        others.update((hostport, host, port))
    others.update((path_fragment, *path.split("/")))
    others.update(value for _, value in parse_qsl(query, keep_blank_values=True))
    others.update(re.split(r"[\s,]+", whole))
    account |= {unquote(part) for part in account}
    others |= {unquote(part) for part in others}
    shown = {scheme.lower(), target_of(url).partition("://")[2]}
    return (
        {p for p in account if p.strip() and p.lower() not in shown},
        {p for p in others if len(p.strip()) >= 4 and p.lower() not in shown},
    )


def scrub(text: str, url: str) -> str:
    """``text`` with every secret part of ``url`` replaced by ``[hidden]``."""
    account, others = secret_parts(url)
    patterns = []
    for part in account | others:
        if len(part) >= 4:
            patterns.append(re.escape(part))
        else:
            # A short password is hidden where it stands alone, so the letters of ordinary
            # words survive.
            patterns.append(rf"(?<![A-Za-z0-9]){re.escape(part)}(?![A-Za-z0-9])")
    # Longest first, so a token inside the URL is not half-replaced by a shorter part.
    for pattern in sorted(patterns, key=len, reverse=True):
        text = re.sub(pattern, HIDDEN, text, flags=re.IGNORECASE)
    return text
