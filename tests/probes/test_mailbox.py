"""The shared IMAP mailbox (search, junk folder, delete, waiting) against a real Dovecot,
and its parsing of what servers send, against small misbehaving servers.

Every test marks its messages with a fresh token, so the session's one Dovecot can be
shared: no test sees another's mail.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from freecost.errors import SecretError
from freecost.probes.canary import TOKEN_HEADER, digit_token, spoken, text_token
from freecost.probes.mailbox import (
    Found,
    ImapServer,
    Mailbox,
    body_text,
    open_mailbox,
    parse_internaldate,
    parse_list,
    wait_for,
)
from freecost.probes.tcp import Stop
from freecost.results import Layer, Status
from tests.probes.helpers import make_context
from tests.servers.tls_server import serve

if TYPE_CHECKING:
    from tests.servers.dovecot import Dovecot

pytest_plugins = ("tests.servers.dovecot",)

T = TypeVar("T")
USER = "canary"


def server_for(dovecot: Dovecot, **spec: Any) -> ImapServer:
    fields: dict[str, Any] = {
        "host": dovecot.host,
        "port": dovecot.tls_port,
        "username": USER,
        "password": "${IMAP_PASSWORD}",
        **spec,
    }
    return ImapServer.model_validate(fields)


def with_mailbox(
    dovecot: Dovecot, base: Path, work: Callable[[Mailbox], Awaitable[T]], **spec: Any
) -> T:
    """Open the test user's mailbox over implicit TLS, run ``work`` on it, log out."""

    async def go() -> T:
        ctx = make_context(base, tls={"ca_bundle": str(dovecot.ca_bundle)})
        ctx.environ = {"IMAP_PASSWORD": dovecot.users[USER]}
        server = server_for(dovecot, **spec)
        async with ctx, asyncio.timeout(20), open_mailbox(ctx, server) as mailbox:
            return await work(mailbox)

    return asyncio.run(go())


def tagged(token: str) -> dict[str, str]:
    return {TOKEN_HEADER: token}


# --- finding messages ---


def test_a_tagged_message_in_the_inbox_is_found(dovecot: Dovecot, tmp_path: Path) -> None:
    token = text_token()
    sent = datetime(2026, 1, 5, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    arrived = sent + timedelta(seconds=42)
    dovecot.drop(
        USER,
        subject=f"freecost canary {token}",
        sender="Shop Owner <owner@shop.example>",
        body=f"Canary message.\n{token}\n",
        date=sent,
        received=arrived,
        headers=tagged(token),
    )

    async def work(mailbox: Mailbox) -> list[Found]:
        return await mailbox.search(header=(TOKEN_HEADER, token))

    (found,) = with_mailbox(dovecot, tmp_path, work)
    assert (found.folder, found.junk) == ("INBOX", False)
    assert found.subject == f"freecost canary {token}"
    assert found.sender == "owner@shop.example"
    assert found.sent_at == sent
    assert found.received_at == arrived
    assert found.received_at is not None
    assert found.received_at.tzinfo is not None
    assert found.text == f"Canary message.\n{token}\n"
    assert found.headers["x-freecost-token"] == token
    assert found.uid.isdigit()
    assert found.uid_validity


def test_a_message_only_in_junk_is_found_as_junk(dovecot: Dovecot, tmp_path: Path) -> None:
    token = text_token()
    dovecot.drop(USER, subject=f"canary {token}", folder="Junk", headers=tagged(token))

    async def work(mailbox: Mailbox) -> tuple[list[Found], str | None]:
        return await mailbox.search(subject=token), await mailbox.junk_folder()

    found, junk = with_mailbox(dovecot, tmp_path, work)
    assert junk == "Junk"
    assert [(f.folder, f.junk, f.subject) for f in found] == [("Junk", True, f"canary {token}")]


def test_the_inbox_comes_before_junk(dovecot: Dovecot, tmp_path: Path) -> None:
    token = text_token()
    dovecot.drop(USER, subject="in junk", folder="Junk", headers=tagged(token))
    dovecot.drop(USER, subject="in the inbox", headers=tagged(token))

    async def work(mailbox: Mailbox) -> Found | None:
        return await wait_for(
            mailbox, timedelta(seconds=5), timedelta(seconds=0.1), header=(TOKEN_HEADER, token)
        )

    found = with_mailbox(dovecot, tmp_path, work)
    assert found is not None
    assert (found.folder, found.subject) == ("INBOX", "in the inbox")


def test_a_message_with_another_token_is_not_matched(dovecot: Dovecot, tmp_path: Path) -> None:
    mine, theirs = text_token(), text_token()
    dovecot.drop(USER, subject=f"canary {theirs}", headers=tagged(theirs), body=theirs)

    async def work(mailbox: Mailbox) -> list[list[Found]]:
        return [
            await mailbox.search(header=(TOKEN_HEADER, mine)),
            await mailbox.search(subject=mine),
            await mailbox.search(text=mine),
        ]

    assert with_mailbox(dovecot, tmp_path, work) == [[], [], []]


def test_since_leaves_out_what_arrived_before(dovecot: Dovecot, tmp_path: Path) -> None:
    token = text_token()
    now = datetime.now(UTC).replace(microsecond=0)
    dovecot.drop(
        USER, subject="yesterday's", received=now - timedelta(days=1), headers=tagged(token)
    )
    dovecot.drop(
        USER, subject="an hour ago", received=now - timedelta(hours=1), headers=tagged(token)
    )
    dovecot.drop(
        USER, subject="just now", received=now - timedelta(seconds=5), headers=tagged(token)
    )

    async def work(mailbox: Mailbox) -> list[list[str]]:
        found = []
        for since in (now - timedelta(minutes=10), now - timedelta(hours=2), None):
            matches = await mailbox.search(header=(TOKEN_HEADER, token), since=since)
            found.append([f.subject for f in matches])
        return found

    recent, today, every = with_mailbox(dovecot, tmp_path, work)
    assert recent == ["just now"]
    assert today == ["just now", "an hour ago"]  # newest first
    assert every == ["just now", "an hour ago", "yesterday's"]


def test_a_voicemail_notification_is_found_by_sender_and_spoken_token(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    token = digit_token()
    transcript = (
        f"Hi, this is the freecost test call. The code is {spoken(token)}. {spoken(token)}."
    )
    started = datetime.now(UTC) - timedelta(minutes=1)
    notification = EmailMessage()
    notification["From"] = "Google Voice <voice-noreply@google.com>"
    notification["To"] = "canary@example.com"
    notification["Subject"] = "New voicemail from (512) 555-0142 at 3:18 PM"
    notification["Date"] = "Mon, 05 Jan 2026 15:18:40 -0600"
    # Base64 bodies: the server's search and our reading must both decode them.
    notification.set_content(f"{transcript}\n\nPlay message\n", cte="base64")
    notification.add_alternative(
        f"<html><body><p>{transcript}</p><a>Play message</a></body></html>",
        subtype="html",
        cte="base64",
    )
    assert spoken(token) not in notification.as_string()
    dovecot.drop_raw(USER, notification.as_bytes(), received=datetime.now(UTC))
    dovecot.drop(USER, subject="not from Google", sender="someone@example.net", body=transcript)

    async def work(mailbox: Mailbox) -> list[Found]:
        return await mailbox.search(
            sender="voice-noreply@google.com", text=spoken(token), since=started
        )

    (found,) = with_mailbox(dovecot, tmp_path, work)
    assert found.sender == "voice-noreply@google.com"
    assert found.subject.startswith("New voicemail from (512) 555-0142")
    assert spoken(token) in found.text
    assert "<p>" not in found.text
    assert found.sent_at == datetime(2026, 1, 5, 15, 18, 40, tzinfo=timezone(timedelta(hours=-6)))


# --- cleaning up ---


def test_delete_expunges_the_message(dovecot: Dovecot, tmp_path: Path) -> None:
    token, other = text_token(), text_token()
    dovecot.drop(USER, subject=f"canary {token}", headers=tagged(token))
    dovecot.drop(USER, subject=f"canary {token}", folder="Junk", headers=tagged(token))
    dovecot.drop(USER, subject=f"keep {other}", headers=tagged(other))

    def stored(token: str) -> list[str]:
        return [
            f"{folder}: {m['Subject']}"
            for folder in ("INBOX", "Junk")
            for m in dovecot.messages(USER, folder)
            if m[TOKEN_HEADER] == token
        ]

    assert stored(token) == [f"INBOX: canary {token}", f"Junk: canary {token}"]

    async def work(mailbox: Mailbox) -> list[Found]:
        for found in await mailbox.search(header=(TOKEN_HEADER, token)):
            await mailbox.delete(found)
        return await mailbox.search(header=(TOKEN_HEADER, token))

    assert with_mailbox(dovecot, tmp_path, work) == []
    assert stored(token) == []
    assert stored(other) == [f"INBOX: keep {other}"]


def test_delete_leaves_a_folder_whose_uids_changed(dovecot: Dovecot, tmp_path: Path) -> None:
    token = text_token()
    dovecot.drop(USER, subject=f"canary {token}", headers=tagged(token))

    async def work(mailbox: Mailbox) -> None:
        (found,) = await mailbox.search(header=(TOKEN_HEADER, token))
        stale = Found(**{**found.__dict__, "uid_validity": "1"})
        await mailbox.delete(stale)

    with_mailbox(dovecot, tmp_path, work)
    assert [m["Subject"] for m in dovecot.messages(USER) if m[TOKEN_HEADER] == token] == [
        f"canary {token}"
    ]


# --- waiting ---


def test_wait_for_gives_up_after_within(dovecot: Dovecot, tmp_path: Path) -> None:
    token = text_token()

    async def work(mailbox: Mailbox) -> Found | None:
        return await wait_for(
            mailbox, timedelta(milliseconds=300), timedelta(milliseconds=100), subject=token
        )

    assert with_mailbox(dovecot, tmp_path, work) is None


def test_wait_for_sees_a_message_that_arrives_while_it_waits(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    token = text_token()

    async def work(mailbox: Mailbox) -> Found | None:
        waiting = asyncio.ensure_future(
            wait_for(mailbox, timedelta(seconds=15), timedelta(milliseconds=50), subject=token)
        )
        await mailbox.search(subject=token)  # one empty look first: nothing is there yet
        await asyncio.to_thread(dovecot.drop, USER, subject=f"late {token}")
        return await waiting

    found = with_mailbox(dovecot, tmp_path, work)
    assert found is not None
    assert found.subject == f"late {token}"


# --- connecting ---


@pytest.mark.parametrize("mode", ["implicit", "starttls", "none"])
def test_every_tls_mode_opens_the_mailbox(dovecot: Dovecot, tmp_path: Path, mode: str) -> None:
    port = dovecot.tls_port if mode == "implicit" else dovecot.port

    async def work(mailbox: Mailbox) -> tuple[int, dict[str, Any]]:
        return (await mailbox.select("INBOX")).count, mailbox.details

    count, details = with_mailbox(dovecot, tmp_path, work, tls=mode, port=port)
    assert count == len(dovecot.messages(USER))
    assert details["tls"] == mode
    assert ("tls_version" in details) is (mode != "none")


def test_a_refused_login_stops_with_a_protocol_failure(dovecot: Dovecot, tmp_path: Path) -> None:
    async def go() -> Stop:
        ctx = make_context(tmp_path, tls={"ca_bundle": str(dovecot.ca_bundle)})
        ctx.environ = {"IMAP_PASSWORD": "not-the-password"}
        async with ctx:
            with pytest.raises(Stop) as caught:
                async with open_mailbox(ctx, server_for(dovecot)):
                    pass
        return caught.value

    stop = asyncio.run(go())
    assert stop.outcome.status is Status.FAIL
    assert stop.outcome.layer is Layer.PROTOCOL
    assert stop.outcome.summary == "the IMAP server refused the login for canary"
    shown = str(stop) + repr(stop) + json.dumps(dict(stop.outcome.details))
    assert "not-the-password" not in shown


def test_a_missing_password_raises_secret_error(dovecot: Dovecot, tmp_path: Path) -> None:
    async def go() -> None:
        ctx = make_context(tmp_path)
        ctx.environ = {}
        async with ctx, open_mailbox(ctx, server_for(dovecot)):
            pass

    with pytest.raises(SecretError, match="environment variable IMAP_PASSWORD is not set"):
        asyncio.run(go())


def test_the_password_is_not_in_the_server_block_repr() -> None:
    server = ImapServer(host="imap.example.com", username="me", password="${IMAP_PASSWORD}")
    assert "${IMAP_PASSWORD}" in repr(server)
    assert server.effective_port == 993


# --- misbehaving servers ---


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def talker(lines: list[bytes], *, then_close: bool = True) -> Handler:
    """A server that sends ``lines`` (a greeting and perhaps more), answers each command
    with the next of them, and hangs up when it runs out."""

    async def talk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        replies = iter(lines)
        writer.write(next(replies))
        await writer.drain()
        while line := await reader.readline():
            tag = line.split(b" ", 1)[0]
            reply = next(replies, None)
            if reply is None:
                break
            writer.write(reply.replace(b"TAG", tag))
            await writer.drain()
        if not then_close:
            await reader.read()

    return talk


def stop_from(handler: Handler, tmp_path: Path) -> Stop:
    with serve(handler) as port:

        async def go() -> Stop:
            ctx = make_context(tmp_path)
            ctx.environ = {"IMAP_PASSWORD": "secret-password"}
            server = ImapServer(
                host="127.0.0.1",
                port=port,
                tls="none",
                username="me",
                password="${IMAP_PASSWORD}",
            )
            async with ctx, asyncio.timeout(10):
                with pytest.raises(Stop) as caught:
                    async with open_mailbox(ctx, server) as mailbox:
                        await mailbox.select("INBOX")
            return caught.value

        return asyncio.run(go())


def test_a_server_that_hangs_up_mid_session_fails_the_command_at_once(tmp_path: Path) -> None:
    stop = stop_from(talker([b"* OK ready\r\n"]), tmp_path)
    assert stop.outcome.layer is Layer.PROTOCOL
    assert stop.outcome.summary == "the IMAP server closed the connection during CAPABILITY"


def test_a_server_that_says_bye_turns_us_away(tmp_path: Path) -> None:
    stop = stop_from(talker([b"* BYE too many connections\r\n"]), tmp_path)
    assert (
        stop.outcome.summary == "the IMAP server turned the connection away: too many connections"
    )


def test_a_server_that_is_not_imap_is_named(tmp_path: Path) -> None:
    stop = stop_from(talker([b"220 mail.example.com ESMTP\r\n"]), tmp_path)
    assert stop.outcome.summary == (
        "the server does not speak IMAP: it said '220 mail.example.com ESMTP'"
    )


def test_login_disabled_without_tls_says_what_to_do(tmp_path: Path) -> None:
    stop = stop_from(
        talker(
            [
                b"* OK ready\r\n",
                b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\nTAG OK done\r\n",
            ],
            then_close=False,
        ),
        tmp_path,
    )
    assert stop.outcome.summary.startswith(
        "the IMAP server does not allow a login without TLS (LOGINDISABLED)"
    )


def test_a_server_that_echoes_the_password_is_hidden(tmp_path: Path) -> None:
    stop = stop_from(
        talker(
            [
                b"* OK ready\r\n",
                b"* CAPABILITY IMAP4rev1\r\nTAG OK done\r\n",
                b'TAG NO wrong password "secret-password"\r\n',
            ],
            then_close=False,
        ),
        tmp_path,
    )
    assert stop.outcome.summary == "the IMAP server refused the login for me"
    assert "secret-password" not in json.dumps(dict(stop.outcome.details))
    assert "[secret]" in stop.outcome.details["reply"]


def test_an_endless_answer_is_cut_off(tmp_path: Path) -> None:
    flood = b"* OK " + b"x" * 1000 + b"\r\n"
    answer = b"* CAPABILITY IMAP4rev1\r\n" + flood * 5000 + b"TAG OK done\r\n"
    stop = stop_from(talker([b"* OK ready\r\n", answer], then_close=False), tmp_path)
    assert stop.outcome.summary == "the IMAP server answered CAPABILITY with more than 4 MiB"


# --- parsing ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17-Jul-1996 02:44:25 -0700", datetime(1996, 7, 17, 9, 44, 25, tzinfo=UTC)),
        (" 7-Jan-2026 23:59:59 +0530", datetime(2026, 1, 7, 18, 29, 59, tzinfo=UTC)),
        ("07-jan-2026 00:00:00 +0000", datetime(2026, 1, 7, tzinfo=UTC)),
        ("31-Feb-2026 00:00:00 +0000", None),
        ("yesterday", None),
    ],
)
def test_internaldate_is_read_with_its_zone(text: str, expected: datetime | None) -> None:
    parsed = parse_internaldate(text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() is not None


def test_list_answers_are_read_with_attributes_and_quoting() -> None:
    lines = [
        b'LIST (\\HasNoChildren) "/" INBOX',
        b'LIST (\\HasChildren \\Noselect) "/" "[Gmail]"',
        b'LIST (\\HasNoChildren \\Junk) "/" "[Gmail]/Spam"',
        b'LIST (\\HasNoChildren) "/" {11}',
        bytearray(b'Odd "Name"'),
        b"List completed.",
    ]
    lines = [line.removeprefix(b"LIST ") if isinstance(line, bytes) else line for line in lines]
    assert parse_list(lines) == [
        ("INBOX", frozenset({"\\hasnochildren"})),
        ("[Gmail]", frozenset({"\\haschildren", "\\noselect"})),
        ("[Gmail]/Spam", frozenset({"\\hasnochildren", "\\junk"})),
        ('Odd "Name"', frozenset({"\\hasnochildren"})),
    ]


def test_an_html_only_body_is_read_without_tags() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: hi\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"<p>Code: 1 2 3 4 &amp; more</p><style>p{}</style>=\r\n<b>end</b>\r\n"
    )
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert " ".join(body_text(message).split()) == "Code: 1 2 3 4 & more end"
