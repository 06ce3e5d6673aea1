"""A private Dovecot IMAP server on 127.0.0.1 for the mailbox and ``imap`` probe tests.

Each session starts one Dovecot of its own (the ``dovecot`` fixture is session-scoped): its
configuration, sockets, state, log and mail all live in a temporary directory, and it
listens on two free high ports, one plain (for plain IMAP and STARTTLS) and one speaking TLS
from the first byte, with a certificate from a throw-away ``trustme`` CA. The machine's own
Dovecot service, if any, is never used or touched.

As root, Dovecot is started as ``nobody`` through ``setpriv`` (its processes then own
nothing but the temporary directory); as any other user it runs as that user. Mail is put
straight into a user's Maildir, without SMTP: a file in ``new/`` is what a delivery agent
leaves there, and the file's modification time is the INTERNALDATE Dovecot reports.

A missing ``dovecot`` binary fails the tests instead of skipping them: the test script
installs it (Debian's ``dovecot-imapd``), so its absence is a broken set-up, not an option.

Written against Dovecot 2.3 (Debian 12: 2.3.19). Quirks the configuration works around:

* ``service anvil { chroot = }`` and ``service imap-login { chroot = }``: an unprivileged
  master cannot chroot, and without these it stops at start-up.
* ``inbox = yes`` needs a ``namespace inbox`` block of its own; that is also where the
  ``Junk`` folder gets its ``\\Junk`` special-use attribute.
* A refused login is answered after 2 s, and each further one from the same address waits
  twice as long, up to 15 s: ``auth_failure_delay = 0`` and the ``anvil-auth-penalty``
  listener with ``mode = 0`` turn both off, so the wrong-password tests neither slow down
  nor run into a probe's deadline.
* Maildir++ keeps a folder ``Junk`` in the directory ``.Junk`` beside ``cur``/``new``/``tmp``.
"""

from __future__ import annotations

import contextlib
import email.utils
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme

HOST = "127.0.0.1"
USERS = {"canary": "canary-pass", "owner": "owner-pass"}
"""The mail users every session has, by name, with their (plain-text, test-only) passwords."""
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
FOLDERS = {"INBOX": "", "Junk": ".Junk"}
"""Folder name over IMAP → sub-directory of the Maildir (Maildir++ layout)."""


@dataclass(frozen=True)
class Dovecot:
    """A running private Dovecot and the means to fill and inspect its mailboxes."""

    host: str
    port: int
    """Plain IMAP; STARTTLS is offered here too."""
    tls_port: int
    """IMAP over TLS from the first byte."""
    users: Mapping[str, str]
    """User name → password."""
    ca: trustme.CA
    ca_bundle: Path
    """The CA certificate (PEM) to trust: hand it to ``settings.tls.ca_bundle``."""
    root: Path
    uid: int
    gid: int

    def maildir(self, user: str, folder: str = "INBOX") -> Path:
        """The Maildir directory holding ``folder`` (``INBOX`` or ``Junk``) of ``user``."""
        if user not in self.users:
            raise KeyError(f"no mail user {user!r} in this Dovecot")
        return self.root / "mail" / user / "Maildir" / FOLDERS[folder]

    def drop(
        self,
        user: str,
        *,
        subject: str,
        sender: str = "sender@example.net",
        body: str = "A test message.\n",
        folder: str = "INBOX",
        date: datetime | None = None,
        received: datetime | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Path:
        """Deliver a text message into ``folder`` of ``user``, as a delivery agent would.

        ``date`` is its Date header (now by default); ``received`` its arrival time, which
        Dovecot reports as INTERNALDATE (``date`` by default). Returns the file written.
        """
        message = EmailMessage()
        message["From"] = sender
        message["To"] = f"{user}@example.com"
        message["Subject"] = subject
        sent = date or datetime.now(UTC)
        message["Date"] = email.utils.format_datetime(sent)
        message["Message-ID"] = email.utils.make_msgid(domain="example.net")
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(body)
        return self.drop_raw(user, message.as_bytes(), folder=folder, received=received or sent)

    def drop_raw(
        self, user: str, raw: bytes, *, folder: str = "INBOX", received: datetime | None = None
    ) -> Path:
        """Deliver the message ``raw`` (RFC 5322 bytes) into ``folder`` of ``user``."""
        directory = self.maildir(user, folder)
        name = f"{time.time_ns()}.{secrets.token_hex(6)}.freecost-test"
        staged = directory / "tmp" / name
        staged.write_bytes(raw.replace(b"\r\n", b"\n"))  # Maildir files use bare LF
        os.chown(staged, self.uid, self.gid)
        if received is not None:
            stamp = received.timestamp()
            os.utime(staged, (stamp, stamp))
        # tmp/ then new/, so Dovecot never sees a half-written message.
        delivered = directory / "new" / name
        staged.rename(delivered)
        return delivered

    def messages(self, user: str, folder: str = "INBOX") -> list[EmailMessage]:
        """Every message still stored in ``folder``, read or not, flagged deleted or not.

        A message flagged ``\\Deleted`` but not expunged is still listed: only an expunge
        removes the file.
        """
        directory = self.maildir(user, folder)
        found: list[EmailMessage] = []
        for sub in ("new", "cur"):
            for path in sorted((directory / sub).iterdir()):
                parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                found.append(parsed)
        return found

    def log(self) -> str:
        """Dovecot's log so far, for a failing test's message."""
        path = self.root / "log" / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _run_as() -> tuple[str, str, int, int, list[str]]:
    """Who Dovecot runs as (user, group, uid, gid) and the command prefix that makes it so."""
    if os.geteuid() == 0:
        # Dovecot refuses uid 0 for mail users, and root need not own anything here.
        nobody = pwd.getpwnam("nobody")
        group = _group_name(nobody.pw_gid)
        prefix = ["setpriv", "--reuid=nobody", f"--regid={group}", "--clear-groups"]
        return "nobody", group, nobody.pw_uid, nobody.pw_gid, prefix
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, _group_name(os.getegid()), me.pw_uid, os.getegid(), []


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def _config(root: Path, user: str, group: str, port: int, tls_port: int) -> str:
    return f"""\
protocols = imap
listen = {HOST}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/log/dovecot.log
info_log_path = {root}/log/dovecot.log
ssl = yes
ssl_cert = <{root}/tls/cert.pem
ssl_key = <{root}/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
mail_location = maildir:{root}/mail/%u/Maildir
namespace inbox {{
  inbox = yes
  mailbox Junk {{
    special_use = \\Junk
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def _prepare(root: Path, ca: trustme.CA, uid: int, gid: int) -> None:
    for sub in ("run", "state", "log", "tls"):
        (root / sub).mkdir()
    leaf = ca.issue_cert("localhost", HOST)
    leaf.cert_chain_pems[0].write_to_path(str(root / "tls" / "cert.pem"))
    leaf.private_key_pem.write_to_path(str(root / "tls" / "key.pem"))
    ca.cert_pem.write_to_path(str(root / "tls" / "ca.pem"))
    (root / "users").write_text(
        "".join(f"{name}:{{PLAIN}}{password}::::::\n" for name, password in USERS.items())
    )
    for name in USERS:
        for folder in FOLDERS.values():
            for sub in ("cur", "new", "tmp"):
                (root / "mail" / name / "Maildir" / folder / sub).mkdir(parents=True)
    root.chmod(0o755)  # the unprivileged Dovecot must reach into a directory root made
    for path in [root, *root.rglob("*")]:
        os.chown(path, uid, gid)


def _wait_until_listening(process: subprocess.Popen[bytes], ports: tuple[int, ...]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    pending = list(ports)
    while pending:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited at start-up with status {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"dovecot did not listen on {pending} within {START_TIMEOUT} s")
        try:
            with socket.create_connection((HOST, pending[0]), timeout=1):
                pending.pop(0)
        except OSError:
            time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # the master stops its children on SIGTERM
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)


@contextlib.contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    """Start a private Dovecot, yield it once it answers, and always stop it afterwards."""
    binary = shutil.which("dovecot") or next(
        (str(p) for p in (Path("/usr/sbin/dovecot"),) if p.exists()), None
    )
    if binary is None:
        pytest.fail("the dovecot binary is missing: install dovecot-imapd (scripts/test.sh does)")
    user, group, uid, gid, prefix = _run_as()
    with tempfile.TemporaryDirectory(prefix="freecost-dovecot-") as directory:
        root = Path(directory)
        ca = trustme.CA()
        _prepare(root, ca, uid, gid)
        port, tls_port = _free_port(), _free_port()
        config = root / "dovecot.conf"
        config.write_text(_config(root, user, group, port, tls_port))
        os.chown(config, uid, gid)
        console = root / "console.txt"  # a file, not a pipe: a full pipe would block Dovecot
        with console.open("wb") as output:
            process = subprocess.Popen(
                [*prefix, binary, "-F", "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        server = Dovecot(HOST, port, tls_port, USERS, ca, root / "tls" / "ca.pem", root, uid, gid)
        try:
            try:
                _wait_until_listening(process, (port, tls_port))
            except RuntimeError as exc:
                _stop(process)
                said = console.read_text(errors="replace")
                pytest.fail(f"{exc}\n--- output ---\n{said}\n--- log ---\n{server.log()}")
            yield server
        finally:
            _stop(process)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One private Dovecot for the whole test session (tests tell their messages apart by
    token). Use it from a test module with ``pytest_plugins = ("tests.servers.dovecot",)``.
    """
    with running_dovecot() as server:
        yield server
