"""A small RDAP client: the IANA bootstrap, one domain lookup, and the parts of the answer
the ``domain`` check reads.

Everything that can go wrong on the way is translated into :class:`RdapError` here, so the
probe deals with one exception hierarchy and never with httpx's::

    RdapError          no usable answer; ``layer`` says whose side failed
    └── RdapNotFound   the server answered 404: it has no record of the name

Bodies are read within a cap and parsed defensively: a registry's server is someone else's
code, and an endless or deeply nested answer must cost this machine a bounded amount.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from freecost.checktypes.domain import plain
from freecost.results import Layer

if TYPE_CHECKING:
    import httpx

    from freecost.probes.context import ProbeContext

BOOTSTRAP_LIMIT = 2 * 1024 * 1024
"""IANA's dns.json is tens of kilobytes; anything near this is not a bootstrap file."""
DOMAIN_LIMIT = 1024 * 1024
"""Real domain answers are a few kilobytes; registrars' notices never come close."""
LIST_LIMIT = 50

_ACCEPT = "application/rdap+json, application/json;q=0.9"
_LOCK_KEY = "rdap.bootstrap.lock"
_CACHE_KEY = "rdap.bootstrap:"
# errno values that mean this machine has no way out, whatever the registry is doing.
_LOCAL_ERRNOS = frozenset({errno.ENETUNREACH, errno.ENETDOWN, errno.EADDRNOTAVAIL})


class RdapError(Exception):
    """No usable answer. ``reason`` is a short phrase for a person; ``layer`` is whose fault."""

    def __init__(self, reason: str, layer: Layer = Layer.VENDOR) -> None:
        super().__init__(reason)
        self.reason = reason
        self.layer = layer


class RdapNotFound(RdapError):
    """The RDAP server answered 404 for the object asked about."""


@dataclass(frozen=True)
class Service:
    """Where the registry of one TLD (or longer suffix) answers RDAP queries."""

    suffix: str
    base_url: str

    def domain_url(self, name: str) -> str:
        """The lookup URL for ``name`` (already normalised to lower-case ASCII)."""
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return f"{base}domain/{name}"


@dataclass(frozen=True)
class Bootstrap:
    """The IANA bootstrap registry: which RDAP base URL serves which suffix."""

    services: Mapping[str, str]

    @classmethod
    def from_json(cls, data: Any) -> Bootstrap:
        """Read ``{"services": [[[suffixes], [urls]], ...]}``; malformed entries are skipped."""
        entries = data.get("services") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise RdapError("the RDAP bootstrap file has no list of services")
        services: dict[str, str] = {}
        for entry in entries:
            if not (isinstance(entry, list) and len(entry) >= 2):
                continue
            suffixes, urls = entry[0], entry[1]
            base = _preferred_url(urls if isinstance(urls, list) else [])
            if base is None or not isinstance(suffixes, list):
                continue
            for suffix in suffixes:
                if isinstance(suffix, str) and suffix.strip("."):
                    services.setdefault(suffix.strip(".").lower(), base)
        if not services:
            raise RdapError("the RDAP bootstrap file lists no usable services")
        return cls(services)

    def service_for(self, name: str) -> Service | None:
        """The service for the longest suffix of ``name``, matched label by label."""
        labels = name.split(".")
        for start in range(len(labels)):
            suffix = ".".join(labels[start:])
            base = self.services.get(suffix)
            if base is not None:
                return Service(suffix, base)
        return None


def _preferred_url(urls: Iterable[object]) -> str | None:
    """The first https URL, else the first http one: RFC 9224 asks clients to prefer https."""
    usable = [url for url in urls if isinstance(url, str) and _scheme(url)]
    for scheme in ("https", "http"):
        for url in usable:
            if _scheme(url) == scheme:
                return url
    return None


def _scheme(url: str) -> str | None:
    """The URL's scheme if it is a usable http(s) URL; the file comes from outside."""
    if not url.isascii() or not url.isprintable() or " " in url:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port out of range
    except ValueError:
        return None
    return parts.scheme if parts.scheme in ("http", "https") and parts.hostname else None


async def bootstrap(ctx: ProbeContext) -> Bootstrap:
    """The bootstrap for this run, fetched once however many checks ask at the same time.

    A failed fetch is remembered too: every domain check of the run would meet the same
    failure, and retrying it per check would only multiply the load on IANA.
    """
    import asyncio

    url = ctx.settings.rdap.bootstrap_url
    key = _CACHE_KEY + url
    lock = ctx.cache.setdefault(_LOCK_KEY, asyncio.Lock())
    async with lock:
        if key not in ctx.cache:
            try:
                ctx.cache[key] = Bootstrap.from_json(await _bootstrap_json(ctx, url))
            except RdapError as exc:
                ctx.cache[key] = exc
    found = ctx.cache[key]
    if isinstance(found, RdapError):
        # A fresh exception per check: one instance raised in many tasks grows one traceback.
        raise RdapError(found.reason, found.layer)
    assert isinstance(found, Bootstrap)
    return found


async def _bootstrap_json(ctx: ProbeContext, url: str) -> Any:
    try:
        return await fetch_json(ctx, url, limit=BOOTSTRAP_LIMIT)
    except RdapNotFound:
        raise RdapError(
            f"the RDAP bootstrap file is not at {plain(url)} (see settings.rdap.bootstrap_url)",
            Layer.CONFIG,
        ) from None
    except RdapError as exc:
        host = plain(urlsplit(url).hostname or url, 100)
        reason = f"could not read the RDAP bootstrap file from {host}: {exc.reason}"
        raise RdapError(reason, exc.layer) from exc


async def fetch_json(ctx: ProbeContext, url: str, *, limit: int) -> Any:
    """GET ``url`` and parse its JSON body, reading at most ``limit`` bytes."""
    import httpx

    client = _client(ctx)
    headers = {"Accept": _ACCEPT, "Accept-Encoding": "identity"}
    try:
        async with client.stream("GET", url, headers=headers) as response:
            _check_status(response)
            body = await _read_capped(response, limit)
    except httpx.InvalidURL as exc:  # a redirect to an address httpx cannot use
        raise RdapError(f"it gave an unusable address ({plain(exc)})") from exc
    except httpx.HTTPError as exc:
        raise transport_error(exc) from exc
    return parse_json(body)


def _client(ctx: ProbeContext) -> httpx.AsyncClient:
    try:
        return ctx.api
    except OSError as exc:  # the CA bundle named in settings.tls cannot be loaded
        raise RdapError(f"could not set up TLS trust: {plain(exc)}", Layer.LOCAL) from exc


def _check_status(response: httpx.Response) -> None:
    status = response.status_code
    if status == 404:
        raise RdapNotFound("it answered 404 (not found)")
    if status == 429:
        raise RdapError("it answered HTTP 429 (too many requests; it is rate-limiting us)")
    if status != 200:
        phrase = plain(response.reason_phrase, 60)
        raise RdapError(f"it answered HTTP {status}" + (f" ({phrase})" if phrase else ""))


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    too_big = RdapError(f"its answer is larger than {limit // 1024} KiB, which no RDAP answer is")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise too_big
    return bytes(body)


def transport_error(exc: Exception) -> RdapError:
    """An httpx failure as an RdapError, blaming this machine only when the cause is local."""
    import httpx

    cause = _os_cause(exc)
    if cause is not None and cause.errno in _LOCAL_ERRNOS:
        return RdapError(f"this machine has no route to it ({plain(cause)})", Layer.LOCAL)
    if isinstance(exc, httpx.TimeoutException):
        return RdapError("it did not answer in time")
    if isinstance(exc, httpx.TooManyRedirects):
        return RdapError("it redirected too many times")
    if isinstance(exc, httpx.LocalProtocolError | httpx.UnsupportedProtocol):
        return RdapError(f"the request could not be sent ({plain(exc)})", Layer.LOCAL)
    detail = plain(exc) or type(exc).__name__
    return RdapError(f"could not reach it ({detail})")


def _os_cause(exc: BaseException) -> OSError | None:
    for link in _chain(exc):
        if isinstance(link, OSError) and link.errno is not None:
            return link
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def parse_json(body: bytes) -> Any:
    """A JSON document, or RdapError saying why the body is not one."""
    try:
        return json.loads(body)
    except RecursionError:
        raise RdapError("its answer is nested too deeply to be RDAP") from None
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
        raise RdapError("its answer is not valid JSON") from None


@dataclass(frozen=True)
class Registration:
    """What a registry publishes about one domain, as far as the check needs it."""

    expires: datetime | None
    expiration_text: str | None
    """The expiration event's date as written, kept when it cannot be read as a date."""
    registered: datetime | None
    last_changed: datetime | None
    statuses: tuple[str, ...]
    nameservers: tuple[str, ...]
    registrar: str | None


def parse_domain(data: Any) -> Registration:
    """Read an RDAP domain object (RFC 9083 §5.3); unknown or malformed parts are ignored."""
    if not isinstance(data, dict):
        raise RdapError("its answer is not an RDAP object")
    kind = data.get("objectClassName")
    if kind is not None and kind != "domain":
        raise RdapError(f"its answer is a '{plain(kind, 40)}' object, not a domain")
    if kind is None and "errorCode" in data:
        raise RdapError(f"it answered with an error: {plain(data.get('title') or '', 100)}")
    events = _events(data.get("events"))
    expiration = events.get("expiration")
    return Registration(
        expires=_date(expiration),
        expiration_text=None if expiration is None else plain(expiration, 60),
        registered=_date(events.get("registration")),
        last_changed=_date(events.get("last changed")),
        statuses=tuple(_strings(data.get("status")))[:LIST_LIMIT],
        nameservers=tuple(_nameservers(data.get("nameservers")))[:LIST_LIMIT],
        registrar=_registrar(data.get("entities")),
    )


def _events(value: Any) -> dict[str, str]:
    """The date of each event; with repeats, the earliest (for expiry: the soonest to bite)."""
    found: dict[str, tuple[datetime | None, str]] = {}
    for event in value if isinstance(value, list) else []:
        if not isinstance(event, dict):
            continue
        action, when = event.get("eventAction"), event.get("eventDate")
        if not (isinstance(action, str) and isinstance(when, str)):
            continue
        action = action.strip().lower()
        parsed = _date(when)
        earlier = found.get(action)
        if earlier is None or (parsed is not None and (earlier[0] is None or parsed < earlier[0])):
            found[action] = (parsed, when)
    return {action: text for action, (_, text) in found.items()}


def _date(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    # A bare date or a time without offset: RDAP dates are UTC (RFC 9083 §4.5).
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _strings(value: Any) -> Iterator[str]:
    for item in value if isinstance(value, list) else []:
        if isinstance(item, str) and item.strip():
            yield plain(item, 80)


def _nameservers(value: Any) -> Iterator[str]:
    seen: set[str] = set()
    for server in value if isinstance(value, list) else []:
        name = server.get("ldhName") if isinstance(server, dict) else None
        if not isinstance(name, str):
            continue
        host = plain(name, 253).lower().rstrip(".")
        if host and host not in seen:
            seen.add(host)
            yield host


def _registrar(value: Any) -> str | None:
    for entity in value if isinstance(value, list) else []:
        if not isinstance(entity, dict):
            continue
        roles = entity.get("roles")
        if isinstance(roles, list) and "registrar" in roles:
            return _entity_name(entity)
    return None


def _entity_name(entity: dict[str, Any]) -> str | None:
    full_name = _vcard_fn(entity.get("vcardArray"))
    if full_name:
        return full_name
    public_ids = entity.get("publicIds")
    for public_id in public_ids if isinstance(public_ids, list) else []:
        if isinstance(public_id, dict) and public_id.get("type") == "IANA Registrar ID":
            identifier = plain(public_id.get("identifier", ""), 20)
            if identifier:
                return f"IANA registrar ID {identifier}"
    handle = entity.get("handle")
    return plain(handle) if isinstance(handle, str) and handle.strip() else None


def _vcard_fn(value: Any) -> str | None:
    """The ``fn`` property of a jCard: ``["vcard", [["fn", {}, "text", "Name"], ...]]``."""
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], list)):
        return None
    for prop in value[1]:
        if not (isinstance(prop, list) and len(prop) >= 4 and prop[0] == "fn"):
            continue
        if isinstance(prop[3], str) and prop[3].strip():
            return plain(prop[3])
    return None
