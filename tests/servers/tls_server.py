"""Throw-away certificates and small TCP servers on 127.0.0.1 for the TLS and TCP probe tests.

:func:`make_certificates` writes a test CA bundle and one certificate per situation a probe
must recognise: valid, expired, expiring soon, for another host, from an unknown CA, and
self-signed. :func:`serve` runs a connection handler on an ephemeral port in its own thread
and event loop, so a stalled handler cannot stall the probe under test, and the handlers
below speak just enough SMTP and IMAP for STARTTLS, or misbehave on purpose.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import threading
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import trustme

from tests.servers.streams import TrackedServer

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
NAMES = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class Certificates:
    """The trusted CA bundle and a key+chain PEM file per kind of certificate."""

    bundle: Path
    valid: Path
    expired: Path
    expiring: Path
    wrong_host: Path
    unknown_ca: Path
    self_signed: Path


def _write_leaf(leaf: trustme.LeafCert, path: Path) -> Path:
    leaf.private_key_and_cert_chain_pem.write_to_path(str(path))
    return path


def _write_self_signed(path: Path) -> Path:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    alternative = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(alternative, critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(key_pem + cert.public_bytes(serialization.Encoding.PEM))
    return path


def make_certificates(directory: Path, *names: str, prefix: str = "") -> Certificates:
    """A fresh CA and its certificates for ``names`` (default: localhost and 127.0.0.1),
    written under ``directory`` with ``prefix`` before each file name.

    The expiring and expired certificates are an hour past the whole day, so a probe
    reading them a few seconds later still counts exactly 3 days.
    """
    hosts = names or NAMES
    ca = trustme.CA()
    bundle = directory / f"{prefix}ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    now = datetime.now(UTC)
    three_days = timedelta(days=3, hours=1)
    return Certificates(
        bundle=bundle,
        valid=_write_leaf(
            ca.issue_cert(*hosts, not_after=now + timedelta(days=90, hours=1)),
            directory / f"{prefix}valid.pem",
        ),
        expired=_write_leaf(
            ca.issue_cert(*hosts, not_before=now - timedelta(days=90), not_after=now - three_days),
            directory / f"{prefix}expired.pem",
        ),
        expiring=_write_leaf(
            ca.issue_cert(*hosts, not_after=now + three_days), directory / f"{prefix}expiring.pem"
        ),
        wrong_host=_write_leaf(
            ca.issue_cert("other.example"), directory / f"{prefix}wrong-host.pem"
        ),
        unknown_ca=_write_leaf(
            trustme.CA().issue_cert(*hosts), directory / f"{prefix}unknown-ca.pem"
        ),
        self_signed=_write_self_signed(directory / f"{prefix}self-signed.pem"),
    )


def server_context(chain: Path, *, maximum_version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A server context presenting ``chain``; ``maximum_version`` imitates an old server."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    if maximum_version is not None:
        with warnings.catch_warnings():
            # Python deprecates TLS 1.0 and 1.1; an outdated server is what this imitates.
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = min(ssl.TLSVersion.TLSv1, maximum_version)
            context.maximum_version = maximum_version
        if maximum_version < ssl.TLSVersion.TLSv1_2:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def _quiet_about_clients(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # A probe that refuses our certificate or hangs up mid-handshake is the point of a test.
    if not isinstance(context.get("exception"), OSError):
        loop.default_exception_handler(context)


@contextmanager
def serve(handler: Handler, *, ssl_context: ssl.SSLContext | None = None) -> Iterator[int]:
    """Run ``handler`` for each connection to 127.0.0.1 until the block ends; yields the port.

    With ``ssl_context`` the TLS handshake happens before the handler runs.
    """
    loop = asyncio.new_event_loop()
    tasks: set[asyncio.Task[None]] = set()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        except (OSError, asyncio.IncompleteReadError):
            pass  # the probe hung up or refused our certificate, as it may
        finally:
            writer.transport.abort()
            tasks.discard(task)

    tracked = TrackedServer()

    async def start() -> asyncio.Server:
        return await tracked.start(on_client, ssl_context=ssl_context)

    async def stop(server: asyncio.Server) -> None:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tracked.close_all()
        await asyncio.sleep(0)  # the transports finish closing on the next turn
        await server.wait_closed()

    loop.set_exception_handler(_quiet_about_clients)
    thread = threading.Thread(target=loop.run_forever, name="test-tcp-server", daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        try:
            asyncio.run_coroutine_threadsafe(stop(server), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()


@contextmanager
def serve_blocking_tls(context: ssl.SSLContext) -> Iterator[int]:
    """A TLS server on blocking sockets; yields its port.

    Unlike asyncio's, OpenSSL on a blocking socket sends its alert before it drops a
    handshake it refuses, as nginx or Postfix do: that alert is what the probe explains.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    done = threading.Event()

    def run() -> None:
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(5)
            try:
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.recv(1)
            except OSError:
                pass  # the refused handshake this server exists for
            finally:
                connection.close()

    thread = threading.Thread(target=run, name="test-blocking-tls-server", daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        done.set()
        thread.join(10)
        listener.close()


async def _drain_until_eof(reader: asyncio.StreamReader) -> None:
    while await reader.read(65536):
        pass


async def idle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Say nothing and wait for the client to leave (after a TLS handshake, with ssl_context)."""
    await _drain_until_eof(reader)


def stalled(hung_up: threading.Event) -> Handler:
    """Accept, never answer (so a TLS handshake never completes), and note when the client
    hangs up."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError):
            await _drain_until_eof(reader)
        hung_up.set()

    return hold


async def not_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A plain HTTP server where TLS was expected: it answers the ClientHello with a 400."""
    await reader.read(1024)
    writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()


def sends(data: bytes) -> Handler:
    """Send ``data`` at once, then wait: a banner that is too long, or never ends."""

    async def send(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()
        await _drain_until_eof(reader)

    return send


def smtp(context: ssl.SSLContext, *, offer_starttls: bool = True) -> Handler:
    """An SMTP server that knows EHLO, STARTTLS (if offered) and QUIT."""
    extensions = [b"mail.test", b"SIZE 10240000", b"8BITMIME"]
    if offer_starttls:
        extensions.append(b"STARTTLS")
    ehlo = b"".join(b"250-" + line + b"\r\n" for line in extensions) + b"250 HELP\r\n"

    async def talk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 mail.test ESMTP test server\r\n")
        while line := await reader.readline():
            verb = line.split()[0].upper() if line.split() else b""
            if verb == b"EHLO":
                writer.write(ehlo)
            elif verb == b"STARTTLS" and offer_starttls:
                writer.write(b"220 2.0.0 Ready to start TLS\r\n")
                await writer.start_tls(context)
                continue
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 Bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"502 5.5.2 Command not recognised\r\n")
            await writer.drain()

    return talk


def imap(context: ssl.SSLContext, *, offer_starttls: bool = True) -> Handler:
    """An IMAP server that knows STARTTLS (if offered) and LOGOUT."""
    capabilities = b"IMAP4rev1 STARTTLS LOGINDISABLED" if offer_starttls else b"IMAP4rev1"

    async def talk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* OK [CAPABILITY " + capabilities + b"] test IMAP server ready\r\n")
        while line := await reader.readline():
            tag, _, rest = line.strip().partition(b" ")
            command = rest.split(b" ")[0].upper()
            if command == b"STARTTLS" and offer_starttls:
                writer.write(tag + b" OK Begin TLS negotiation now\r\n")
                await writer.start_tls(context)
                continue
            if command == b"LOGOUT":
                writer.write(b"* BYE logging out\r\n" + tag + b" OK LOGOUT completed\r\n")
                await writer.drain()
                return
            writer.write(tag + b" BAD unknown command\r\n")
            await writer.drain()

    return talk
