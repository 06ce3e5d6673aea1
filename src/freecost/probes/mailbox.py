"""The IMAP half of every canary: log in, find a tagged message in the inbox or the junk
folder, read it, and delete it afterwards. Also what the ``imap`` check logs in with. The
``imap:`` block that names the mailbox is :class:`~freecost.checktypes.mailservers.ImapServer`.

The connection is the one every other check makes (:func:`freecost.probes.tcp.connected`:
the same resolver, ``/etc/hosts``, and the same errors), secured like the ``tls`` check
secures it (implicit TLS, or STARTTLS first), and only then handed to aioimaplib's protocol
parser. aioimaplib is not asked to connect: it would resolve names on its own, and it has no
STARTTLS. Its protocol object is fed from our reader by a small pump, so a server that hangs
up fails the command in progress at once, instead of leaving it waiting for the deadline.

What a hostile or broken server can do is bounded: one command's answer may not exceed
:data:`REPLY_LIMIT` bytes, at most :data:`MATCH_LIMIT` messages per folder are read, and each
at most :data:`RAW_LIMIT` bytes. The password never appears in an outcome, an exception or a
log line: aioimaplib's exception texts can quote a command with its arguments, so only their
class names are reported, and server text passes through a :class:`Hider` first.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import parseaddr, parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal

# Defined with the other check parameters; kept reachable here for callers of open_mailbox.
from freecost.checktypes.mailservers import ImapServer as ImapServer
from freecost.errors import SecretError
from freecost.probes.http import Hider
from freecost.probes.httpbody import visible_text
from freecost.probes.tcp import CLOSE_GRACE, Connection, Stop, connected
from freecost.probes.tls import LINE_LIMIT, imap_starttls, read_line, start_tls, trusted_context
from freecost.probes.tlsinfo import explain_untrusted, plain
from freecost.results import Layer, Outcome
from freecost.secrets import SecretRef

if TYPE_CHECKING:
    import ssl

    from freecost.probes.context import ProbeContext

Response = Any
"""aioimaplib's ``Response`` (``result`` and ``lines``); the library has no type hints."""
JUNK_NAMES = ("junk", "spam")
"""Folder names taken for the junk folder when no folder carries the ``\\Junk`` attribute."""

REPLY_LIMIT = 4 * 1024 * 1024
"""Bytes one command's answer may take before the server is deemed broken."""
MATCH_LIMIT = 20
"""Matching messages read per folder, newest first."""
RAW_LIMIT = 256 * 1024
"""Bytes of a message fetched: headers and the start of the body."""
TEXT_LIMIT = 64 * 1024
"""Characters of decoded body text kept in :attr:`Found.text`."""
READ_SIZE = 16 * 1024

_ENV_NAME = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_INTERNALDATE = re.compile(
    r"^\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$"
)


# --- logging in ------------------------------------------------------------------------------


def login_name(ctx: ProbeContext, server: ImapServer) -> str:
    """The user name to log in with: as written, or read from the environment."""
    if _ENV_NAME.fullmatch(server.username):
        name = ctx.secret(SecretRef.parse(server.username))
        if any(char in name for char in "\r\n\0"):
            raise SecretError(f"{SecretRef.parse(server.username).describe()} holds a line break")
        return name
    return server.username


def _password(ctx: ProbeContext, server: ImapServer) -> str:
    value = ctx.secret(server.password)
    if any(char in value for char in "\r\n\0"):
        raise SecretError(f"{server.password.describe()} holds a line break")
    return value


# --- what a search finds -------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """One message that matched a search."""

    folder: str
    """The folder's name as the server lists it (``INBOX``, ``Junk``, ``[Gmail]/Spam``)."""
    junk: bool
    uid: str
    received_at: datetime | None
    """When the server stored it (INTERNALDATE), timezone-aware."""
    sent_at: datetime | None
    """The Date header, timezone-aware (UTC when the header gives no zone)."""
    sender: str
    """The address in the From header."""
    subject: str
    text: str
    """The decoded text body (plain text preferred, else HTML without tags), capped."""
    headers: Mapping[str, str]
    """Top-level headers by lower-cased name; a repeated header keeps its topmost value,
    the one the receiving server added last (Received, Authentication-Results)."""
    uid_validity: str = ""
    """The folder's UIDVALIDITY when found: a UID means this message only while it holds."""


def parse_internaldate(text: str) -> datetime | None:
    """An IMAP INTERNALDATE (``17-Jul-1996 02:44:25 -0700``) as an aware datetime."""
    match = _INTERNALDATE.match(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, zone_h, zone_m = match.groups()
    if month.title() not in _MONTHS:
        return None
    offset = timedelta(hours=int(zone_h), minutes=int(zone_m)) * (-1 if sign == "-" else 1)
    try:
        return datetime(
            int(year),
            _MONTHS.index(month.title()) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=timezone(offset),
        )
    except ValueError:
        return None


def _header_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot decode
        return ""
    return "" if value is None else str(value)


def _headers(message: Message) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in message:
        key = name.lower()
        if key not in found:
            found[key] = _header(message, name)
    return found


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AssertionError, AttributeError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def body_text(message: EmailMessage) -> str:
    """The readable text of a message: its plain-text part, else its HTML without tags."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except (ValueError, IndexError, KeyError):
        part = None
    if part is None:
        return ""
    text = _part_text(part)
    if part.get_content_subtype() == "html":
        text = html.unescape(visible_text(text))
    return text.replace("\r\n", "\n")[:TEXT_LIMIT]


def read_message(
    raw: bytes,
    *,
    folder: str,
    junk: bool,
    uid: str,
    received_at: datetime | None,
    uid_validity: str = "",
) -> Found:
    """A fetched message (possibly cut at :data:`RAW_LIMIT`) as a :class:`Found`."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return Found(
        folder=folder,
        junk=junk,
        uid=uid,
        received_at=received_at,
        sent_at=_header_date(_header(message, "Date")),
        sender=parseaddr(_header(message, "From"))[1],
        subject=_header(message, "Subject"),
        text=body_text(message),
        headers=_headers(message),
        uid_validity=uid_validity,
    )


# --- talking IMAP ----------------------------------------------------------------------------


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def protocol_failure(summary: str, **details: Any) -> Stop:
    return Stop(Outcome.fail(summary, Layer.PROTOCOL, **details))


class _TooLong(Exception):
    """The server's answer to one command passed :data:`REPLY_LIMIT`."""


class _Wire:
    """aioimaplib's protocol parser, fed from our connection by a pump task."""

    def __init__(self, connection: Connection, state: str) -> None:
        from aioimaplib import IMAP4ClientProtocol  # type: ignore[import-untyped]

        self.protocol = IMAP4ClientProtocol(asyncio.get_running_loop())
        self.protocol.connection_made(connection.writer.transport)
        self.protocol.state = state
        self._reader = connection.reader
        self._received = 0
        self._pump = asyncio.ensure_future(self._feed())

    async def _feed(self) -> None:
        while data := await self._reader.read(READ_SIZE):
            self._received += len(data)
            if self._received > REPLY_LIMIT:
                raise _TooLong
            self.protocol.data_received(data)

    async def call(self, command: Awaitable[Response], what: str) -> Response:
        """Run one aioimaplib command; raise :class:`Stop` if the connection fails under it.

        Returns the command's response (for CAPABILITY, None: aioimaplib keeps the answer).
        """
        self._received = 0
        task = asyncio.ensure_future(command)
        try:
            await asyncio.wait({task, self._pump}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Not awaited: the session is being abandoned, and waiting here could swallow
            # the runner's cancellation.
            task.cancel()
        if not task.done() or task.cancelled():
            raise self._broken(what)
        try:
            return task.result()
        except Exception as exc:
            # Only the class: aioimaplib's texts can quote a command, the login included.
            raise protocol_failure(
                f"the IMAP server's answer to {what} cannot be read ({type(exc).__name__})"
            ) from None

    def _broken(self, what: str) -> Stop:
        error = None if self._pump.cancelled() else self._pump.exception()
        if error is None:
            return protocol_failure(f"the IMAP server closed the connection during {what}")
        if isinstance(error, _TooLong):
            limit = REPLY_LIMIT // (1024 * 1024)
            return protocol_failure(f"the IMAP server answered {what} with more than {limit} MiB")
        if isinstance(error, OSError):
            return protocol_failure(f"the connection to the IMAP server broke during {what}")
        return protocol_failure(
            f"the IMAP server sent something that is not IMAP during {what} "
            f"({type(error).__name__})"
        )

    def close(self) -> None:
        if self._pump.done() and not self._pump.cancelled():
            self._pump.exception()  # seen: asyncio need not report it as never retrieved
        self._pump.cancel()


def _status_text(response: Response, hide: Hider) -> str:
    last = response.lines[-1] if response.lines else b""
    text = last.decode("utf-8", "replace") if isinstance(last, bytes | bytearray) else str(last)
    return plain(hide(text), 160)


def _literal_or_line(lines: list[Any], index: int) -> bytes:
    item = lines[index]
    return bytes(item) if isinstance(item, bytes | bytearray) else str(item).encode()


_LIST_LINE = re.compile(rb'^\((?P<attrs>[^)]*)\) (?P<delim>NIL|"(?:[^"\\]|\\.)*") (?P<name>.+)$')
_LITERAL = re.compile(rb"\{(\d+)\}$")
_EXISTS = re.compile(rb"^(\d+) EXISTS$", re.IGNORECASE)
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]", re.IGNORECASE)
_FETCH_UID = re.compile(rb"\bUID (\d+)")
_FETCH_DATE = re.compile(rb'INTERNALDATE "([^"]+)"')


def _unquote(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def parse_list(lines: list[Any]) -> list[tuple[str, frozenset[str]]]:
    """Folder names and their attributes (lower-cased, like ``\\junk``) from a LIST answer."""
    folders: list[tuple[str, frozenset[str]]] = []
    for index, item in enumerate(lines[:-1]):
        if not isinstance(item, bytes):
            continue
        match = _LIST_LINE.match(item)
        if match is None:
            continue
        raw_name = match.group("name")
        if _LITERAL.search(raw_name) and index + 1 < len(lines):
            raw_name = _literal_or_line(lines, index + 1)
        attributes = frozenset(a.lower() for a in match.group("attrs").decode().split())
        folders.append((_unquote(raw_name.strip()), attributes))
    return folders


@dataclass(frozen=True)
class Selected:
    """A folder opened with SELECT: how many messages it holds and its UIDVALIDITY."""

    folder: str
    count: int
    uid_validity: str


class Mailbox:
    """A logged-in IMAP session. Every method raises :class:`Stop` if the server fails."""

    def __init__(self, wire: _Wire, host: str, user: str, hide: Hider) -> None:
        self._wire = wire
        self.host = host
        self.user = user
        self._hide = hide
        self._junk: str | Literal[False] | None = False  # False: not looked up yet
        self.details: dict[str, Any] = {}
        """How the session was set up: address, port, timings in ms, TLS version."""

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset(c.upper() for c in self._wire.protocol.capabilities)

    async def select(self, folder: str = "INBOX") -> Selected:
        """Open ``folder`` read-write (which also shows mail delivered since the last look)."""
        response = await self._wire.call(self._wire.protocol.select(_quoted(folder)), "SELECT")
        if response.result != "OK":
            summary = f"the IMAP server would not open {plain(folder, 60)} for {self.user}"
            raise protocol_failure(summary, reply=_status_text(response, self._hide))
        count, validity = 0, ""
        for line in response.lines:
            if not isinstance(line, bytes):
                continue
            if exists := _EXISTS.match(line):
                count = int(exists.group(1))
            if found := _UIDVALIDITY.search(line):
                validity = found.group(1).decode()
        return Selected(folder, count, validity)

    async def junk_folder(self) -> str | None:
        """The folder that holds spam: the one listed as ``\\Junk``, else one named Junk or
        Spam; None when there is none."""
        if self._junk is False:
            response = await self._wire.call(
                self._wire.protocol.simple_command("LIST", '""', '"*"'), "LIST"
            )
            folders = parse_list(response.lines) if response.result == "OK" else []
            marked = [name for name, attrs in folders if "\\junk" in attrs]
            named = [
                name
                for name, attrs in folders
                if "\\noselect" not in attrs and _last_segment(name) in JUNK_NAMES
            ]
            candidates = marked or named
            self._junk = candidates[0] if candidates else None
        return self._junk

    async def search(
        self,
        *,
        header: tuple[str, str] | None = None,
        subject: str | None = None,
        sender: str | None = None,
        since: datetime | None = None,
        text: str | None = None,
    ) -> list[Found]:
        """Messages matching every criterion given: INBOX first, then the junk folder; the
        newest first in each, at most :data:`MATCH_LIMIT` per folder.

        ``header`` and ``subject`` match substrings of that header, ``sender`` of the From
        header, ``text`` of the body, as the server searches (decoded, case-insensitive on
        most servers). ``since`` is compared with the arrival time (INTERNALDATE); a naive
        ``since`` is taken as UTC.
        """
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        criteria = _criteria(header, subject, sender, since, text)
        found = await self._search_in("INBOX", False, criteria, since)
        junk = await self.junk_folder()
        if junk is not None and junk.upper() != "INBOX":
            found += await self._search_in(junk, True, criteria, since)
        return found

    async def _search_in(
        self, folder: str, junk: bool, criteria: list[str], since: datetime | None
    ) -> list[Found]:
        selected = await self.select(folder)
        if selected.count == 0:
            return []
        ascii_only = all(c.isascii() for c in criteria)
        response = await self._wire.call(
            self._wire.protocol.search(
                *criteria, charset=None if ascii_only else "UTF-8", by_uid=True
            ),
            "SEARCH",
        )
        if response.result != "OK":
            summary = f"the IMAP server refused to search {plain(folder, 60)}"
            raise protocol_failure(summary, reply=_status_text(response, self._hide))
        uids = sorted(
            {
                int(word)
                for line in response.lines[:-1]
                if isinstance(line, bytes)
                for word in line.split()
                if word.isdigit()
            },
            reverse=True,
        )
        results = []
        for uid in uids[:MATCH_LIMIT]:
            message = await self._fetch(folder, junk, str(uid), selected.uid_validity)
            if message is not None and _arrived_since(message, since):
                results.append(message)
        return results

    async def _fetch(self, folder: str, junk: bool, uid: str, validity: str) -> Found | None:
        parts = f"(UID INTERNALDATE BODY.PEEK[]<0.{RAW_LIMIT}>)"
        response = await self._wire.call(
            self._wire.protocol.fetch(uid, parts, by_uid=True), "FETCH"
        )
        if response.result != "OK":
            return None  # deleted in between: nothing to report
        lines = response.lines
        for index, line in enumerate(lines[:-1]):
            if not isinstance(line, bytes) or b"FETCH" not in line:
                continue
            uid_match = _FETCH_UID.search(line)
            if uid_match is None or uid_match.group(1).decode() != uid:
                continue
            date = _FETCH_DATE.search(line)
            received = parse_internaldate(date.group(1).decode()) if date else None
            raw = b""
            if _LITERAL.search(line) and index + 1 < len(lines):
                raw = _literal_or_line(lines, index + 1)
            return read_message(
                raw,
                folder=folder,
                junk=junk,
                uid=uid,
                received_at=received,
                uid_validity=validity,
            )
        return None

    async def delete(self, found: Found) -> None:
        """Flag ``found`` ``\\Deleted`` and expunge it: UID EXPUNGE where the server offers
        UIDPLUS, else a plain EXPUNGE (which also removes anything else flagged deleted).

        Nothing is deleted when the folder's UIDVALIDITY changed since the search: the UID
        might then name another message.
        """
        selected = await self.select(found.folder)
        if found.uid_validity and selected.uid_validity != found.uid_validity:
            return
        protocol = self._wire.protocol
        response = await self._wire.call(
            protocol.store(found.uid, "+FLAGS.SILENT", "(\\Deleted)", by_uid=True), "STORE"
        )
        if response.result != "OK":
            summary = f"the IMAP server would not delete a message in {plain(found.folder, 60)}"
            raise protocol_failure(summary, reply=_status_text(response, self._hide))
        if "UIDPLUS" in self.capabilities:
            expunge = protocol.expunge(found.uid, by_uid=True)
        else:
            expunge = protocol.expunge()
        response = await self._wire.call(expunge, "EXPUNGE")
        if response.result != "OK":
            summary = f"the IMAP server would not expunge {plain(found.folder, 60)}"
            raise protocol_failure(summary, reply=_status_text(response, self._hide))


def _last_segment(name: str) -> str:
    return re.split(r"[./]", name)[-1].lower()


def _criteria(
    header: tuple[str, str] | None,
    subject: str | None,
    sender: str | None,
    since: datetime | None,
    text: str | None,
) -> list[str]:
    criteria: list[str] = []
    if header is not None:
        criteria += ["HEADER", _quoted(header[0]), _quoted(header[1])]
    if subject is not None:
        criteria += ["SUBJECT", _quoted(subject)]
    if sender is not None:
        criteria += ["FROM", _quoted(sender)]
    if since is not None:
        # SINCE compares dates only, in the server's zone: ask from the day before, then
        # compare the exact arrival time here.
        day = (since.astimezone(UTC) - timedelta(days=1)).date()
        criteria += ["SINCE", f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}"]
    if text is not None:
        criteria += ["BODY", _quoted(text)]
    return criteria or ["ALL"]


def _arrived_since(found: Found, since: datetime | None) -> bool:
    when = found.received_at or found.sent_at
    return since is None or when is None or when >= since


# --- opening a session -----------------------------------------------------------------------


async def _secure(
    ctx: ProbeContext, connection: Connection, host: str, trust: ssl.SSLContext
) -> None:
    import ssl

    try:
        await start_tls(connection.writer, trust, host)
    except ssl.SSLCertVerificationError as exc:
        summary = explain_untrusted(exc, host, None, ctx.now())
        raise Stop(
            Outcome.fail(summary, Layer.TLS, verify_message=plain(str(exc.verify_message)))
        ) from None


async def _greet(connection: Connection, hide: Hider) -> str:
    """Read the server's greeting; the session state it leaves (NONAUTH or AUTH)."""
    line = await read_line(connection.reader)
    word = line[2:].split(" ", 1)[0].upper() if line.startswith("* ") else ""
    if word == "OK":
        return "NONAUTH"
    if word == "PREAUTH":
        return "AUTH"
    if word == "BYE":
        said = plain(hide(line[6:]), 160)
        raise protocol_failure(f"the IMAP server turned the connection away: {said}")
    raise protocol_failure(f"the server does not speak IMAP: it said '{plain(hide(line), 80)}'")


async def _login(wire: _Wire, user: str, password: str, hide: Hider) -> float:
    """Log in; the time it took in ms. A refusal is a protocol failure naming the user."""
    from aioimaplib import AUTH, Command

    protocol = wire.protocol
    await wire.call(protocol.capability(), "CAPABILITY")
    if protocol.state == AUTH:
        return 0.0  # PREAUTH: the server already knows who we are
    if "LOGINDISABLED" in {c.upper() for c in protocol.capabilities}:
        raise protocol_failure(
            "the IMAP server does not allow a login without TLS (LOGINDISABLED): "
            "use tls: starttls or tls: implicit"
        )
    started = time.perf_counter()
    secret = _quoted(password)
    command = Command("LOGIN", protocol.new_tag(), _quoted(user), secret, loop=protocol.loop)
    # scrub= keeps the quoted password out of aioimaplib's debug log of the line it sends.
    response = await wire.call(protocol.execute(command, scrub=secret), "LOGIN")
    login_ms = round((time.perf_counter() - started) * 1000, 1)
    if response.result != "OK":
        raise protocol_failure(
            f"the IMAP server refused the login for {plain(user, 100)}",
            reply=_status_text(response, hide),
        )
    protocol.state = AUTH
    await wire.call(protocol.capability(), "CAPABILITY")
    return login_ms


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


@asynccontextmanager
async def open_mailbox(ctx: ProbeContext, server: ImapServer) -> AsyncIterator[Mailbox]:
    """Connect, secure the connection as ``server.tls`` says, log in; log out on the way out.

    Raises :class:`Stop` carrying a ``fail`` outcome at the layer that failed (dns, connect,
    tls, protocol: a refused login is "the IMAP server refused the login for <user>"), or an
    ``error`` when this machine's trusted certificates cannot be loaded; lets
    :class:`SecretError` through when the user name or password cannot be read.
    """
    user = login_name(ctx, server)
    password = _password(ctx, server)
    hide = Hider((password,))
    trust = trusted_context(ctx) if server.tls != "none" else None
    port = server.effective_port
    async with connected(ctx, server.host, port, limit=LINE_LIMIT) as connection:
        setup: dict[str, Any] = {**connection.details(), "tls": server.tls}
        try:
            state = "NONAUTH"
            if server.tls == "starttls":
                await imap_starttls(connection)
            if trust is not None:
                started = time.perf_counter()
                await _secure(ctx, connection, server.host, trust)
                setup["tls_ms"] = _elapsed_ms(started)
                ssl_object = connection.writer.get_extra_info("ssl_object")
                setup["tls_version"] = ssl_object.version() if ssl_object else None
            if server.tls != "starttls":
                state = await _greet(connection, hide)
        except Stop as stop:
            raise stop.adding(setup) from None
        wire = _Wire(connection, state)
        try:
            try:
                setup["login_ms"] = await _login(wire, user, password, hide)
            except Stop as stop:
                raise stop.adding(setup) from None
            mailbox = Mailbox(wire, server.host, user, hide)
            mailbox.details = setup
            yield mailbox
            await _logout(wire)
        finally:
            wire.close()


async def _logout(wire: _Wire) -> None:
    # Politeness only: a server that does not answer LOGOUT has still done its work.
    with suppress(Stop, TimeoutError):
        async with asyncio.timeout(CLOSE_GRACE):
            await wire.call(wire.protocol.logout(), "LOGOUT")


async def wait_for(
    mailbox: Mailbox, within: timedelta, poll_every: timedelta, **query: Any
) -> Found | None:
    """Search every ``poll_every`` until a message matches (the first of :meth:`Mailbox.search`:
    the inbox before the junk folder) or ``within`` has passed; None if none arrived.

    The runner's deadline still applies: it cancels the wait like any other probe step.
    """
    loop = asyncio.get_running_loop()
    ends = loop.time() + within.total_seconds()
    while True:
        found = await mailbox.search(**query)
        if found:
            return found[0]
        left = ends - loop.time()
        if left <= 0:
            return None
        await asyncio.sleep(min(poll_every.total_seconds(), left))
