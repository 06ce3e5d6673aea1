"""The ``dns`` check: a name's records exist, hold the expected values, and come back quickly.

The lookup goes through the run's resolver (``settings.dns``, else the system's). Records are
compared as normalised text, and the same normalisation is applied to the expected values:

* ``A``, ``AAAA``: the address in its canonical form (``2001:db8::1``, never ``2001:DB8:0::1``);
* ``CNAME``, ``NS``: the target name;
* ``MX``: ``"preference host"`` (``10 mx1.example.com``); the host alone matches too;
* ``TXT``: the record's strings joined with nothing between them, as SPF and DKIM read them;
* ``CAA``: ``"flags tag value"`` (``0 issue letsencrypt.org``); quotes in expected values are
  dropped, so ``0 issue "letsencrypt.org"`` as a zone file writes it matches too;
* ``SOA``: ``"mname rname serial refresh retry expire minimum"``.

Names are lower-case without the trailing dot, internationalised names in their ``xn--`` form.
Everything but ``TXT`` is compared without regard to case; TXT keeps its case because DKIM keys
are case-sensitive. Characters that cannot be printed become U+FFFD.

``expect`` holds any of: ``equals`` (the set of records is exactly this list, in any order),
``contains`` (some record contains this text), ``regex`` (some record matches, ``re.search``)
and ``count`` (exactly this many records). With none, the name needs at least one record.

NXDOMAIN, SERVFAIL (or another error rcode), a server that refuses and a name without records
of the type fail at the ``dns`` layer; records that miss what ``expect`` asks fail at
``content``; no answer at all fails at ``timeout``; a slow answer warns or fails per
``latency``. Only this machine's own trouble (no resolver, an unreachable system resolver, no
route out) is an ``error``.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from freecost.checktypes.dns import Check
from freecost.durations import format_duration
from freecost.probes.context import NO_RESOLVER
from freecost.results import Layer, Outcome

if TYPE_CHECKING:
    import dns.asyncresolver
    import dns.name
    import dns.resolver
    from dns.rdata import Rdata

    from freecost.probes.context import ProbeContext

# The check's parameters are defined in freecost.checktypes.dns; kept reachable here.
__all__ = ["Check", "probe"]

MAX_RECORDS = 50
MAX_RECORD_CHARS = 1024  # a 4096-bit DKIM key is about 800 characters
MAX_SUMMARY_CHARS = 200
_LIFETIME_SHARE = 0.8
# Errors raised before a packet leaves this machine: no route, no interface, no address.
_LOCAL_ERRNOS = frozenset({errno.ENETUNREACH, errno.ENETDOWN, errno.EADDRNOTAVAIL})


@dataclass(frozen=True)
class Record:
    """One record as normalised text, and the other spellings that also match it."""

    text: str
    aliases: tuple[str, ...] = ()

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.text, *self.aliases)


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    """Look the name up and judge the answer."""
    import dns.exception
    import dns.resolver

    try:
        resolver = ctx.resolver
    except dns.resolver.NoResolverConfiguration:
        return Outcome.error(NO_RESOLVER)
    servers = _servers(resolver)
    lifetime = _lifetime(check, ctx)
    started = time.perf_counter()
    try:
        answer = await resolver.resolve(
            _absolute(check.name),
            check.record,
            search=False,
            raise_on_no_answer=False,
            lifetime=lifetime,
        )
    except dns.resolver.NXDOMAIN:
        return _failed(f"{check.name} does not exist (NXDOMAIN)", "NXDOMAIN", servers)
    except dns.resolver.NoNameservers as exc:
        return _no_nameservers(check, exc, servers, configured=bool(ctx.settings.dns.nameservers))
    except dns.exception.Timeout:
        waited = format_duration(timedelta(seconds=lifetime))
        return Outcome.fail(
            f"no answer from the DNS server within {waited} for {check.name} {check.record}",
            Layer.TIMEOUT,
            **_details([], None, ", ".join(servers), None),
        )
    except dns.exception.DNSException as exc:
        return _failed(f"the lookup of {check.name} failed: {exc}", None, servers)
    return _judge(check, answer, time.perf_counter() - started)


def _absolute(name: str) -> dns.name.Name:
    import dns.name

    return dns.name.from_text(name)


def _lifetime(check: Check, ctx: ProbeContext) -> float:
    # The runner cancels the probe at the check's deadline, retries included. Giving up a
    # little before it lets the probe report the timeout itself, with the layer and server.
    budget = (check.timeout or ctx.settings.timeout).total_seconds()
    return budget * _LIFETIME_SHARE / (check.retries + 1)


def _servers(resolver: dns.asyncresolver.Resolver) -> list[str]:
    found = []
    for server in resolver.nameservers:
        if isinstance(server, str):
            found.append(_host_port(server, resolver.nameserver_ports.get(server, resolver.port)))
        else:
            found.append(_host_port(server.answer_nameserver(), server.answer_port()))
    return found


def _host_port(host: str | None, port: int | None) -> str:
    if host is None:
        return "unknown"
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


def _no_nameservers(
    check: Check, exc: dns.resolver.NoNameservers, servers: list[str], *, configured: bool
) -> Outcome:
    """Every server failed: an rcode it answered, a connection it refused, or garbage."""
    errors = exc.kwargs.get("errors") or []
    rcodes = [error[3] for error in errors if isinstance(error[3], str)]
    if rcodes:
        rcode = "SERVFAIL" if "SERVFAIL" in rcodes else rcodes[0]
        return _failed(
            f"the DNS server answered {rcode} for {check.name} {check.record}", rcode, servers
        )
    unreachable = [(error[3], error[1]) for error in errors if isinstance(error[3], OSError)]
    if unreachable:
        error, tcp = unreachable[-1]
        said = os.strerror(error.errno) if error.errno else str(error)
        reason = _plain(said).lower() + (" (over TCP)" if tcp else "")
        # The system's resolver is this machine's own: when it cannot be reached, or nothing
        # leaves this machine at all, the probe can tell nothing about the vendor. A server
        # named in settings.dns is the one the check is meant to judge, so its refusal fails.
        if not configured or any(e.errno in _LOCAL_ERRNOS for e, _ in unreachable):
            return Outcome.error(
                f"this machine cannot reach its DNS resolver: {reason}",
                **_details([], None, ", ".join(servers), None),
            )
        return _failed(f"the DNS server could not be reached: {reason}", None, servers)
    last = errors[-1][3] if errors else exc
    return _failed(f"the DNS server gave no usable answer: {last}", None, servers)


def _failed(summary: str, rcode: str | None, servers: list[str]) -> Outcome:
    return Outcome.fail(
        _clip(_plain(summary), MAX_SUMMARY_CHARS),
        Layer.DNS,
        **_details([], rcode, ", ".join(servers), None),
    )


def _details(
    records: list[Record], rcode: str | None, nameserver: str, ttl: int | None
) -> dict[str, Any]:
    return {
        "records": [_clip(r.text, MAX_RECORD_CHARS) for r in records[:MAX_RECORDS]],
        "record_count": len(records),
        "rcode": rcode,
        "nameserver": nameserver,
        "ttl": ttl,
    }


def _judge(check: Check, answer: dns.resolver.Answer, elapsed: float) -> Outcome:
    import dns.rcode

    rrset = answer.rrset
    records = sorted((_record(rdata) for rdata in rrset or ()), key=lambda r: r.text)
    details = _details(
        records,
        dns.rcode.to_text(answer.response.rcode()),
        _host_port(answer.nameserver, answer.port),
        None if rrset is None else rrset.ttl,
    )
    if answer.canonical_name != answer.qname:
        details["canonical_name"] = _name(answer.canonical_name)
    if not records:
        return Outcome.fail(f"no {check.record} records for {check.name}", Layer.DNS, **details)
    problems = _mismatches(check, records)
    if problems:
        summary = f"{check.name} {check.record}: " + "; ".join(problems)
        return Outcome.fail(_clip(summary, MAX_SUMMARY_CHARS), Layer.CONTENT, **details)
    return _timed(check, records, elapsed, details)


def _timed(check: Check, records: list[Record], elapsed: float, details: dict[str, Any]) -> Outcome:
    plural = "" if len(records) == 1 else "s"
    listing = ", ".join(r.text for r in records)
    found = f"{check.name} has {len(records)} {check.record} record{plural}: {listing}"
    over = check.latency.exceeded(timedelta(seconds=elapsed)) if check.latency else None
    if over is not None:
        level, limit = over
        slow = f"{check.name} {check.record} answered in {_spoken(elapsed)}, "
        slow += f"over the {format_duration(limit)} limit"
        outcome = Outcome.fail if level == "fail" else Outcome.warn
        return outcome(_clip(slow, MAX_SUMMARY_CHARS), Layer.DNS, **details)
    return Outcome.ok(_clip(found, MAX_SUMMARY_CHARS), **details)


def _spoken(seconds: float) -> str:
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.1f}s"


def _mismatches(check: Check, records: list[Record]) -> list[str]:
    """What the records fail to hold, one phrase per unmet condition."""
    expect = check.expect
    kind = check.record
    problems = []
    if expect.contains is not None:
        needle = _expected(kind, expect.contains)
        if not any(needle in form for r in records for form in r.forms):
            problems.append(f"no record contains '{needle}'")
    if expect.equals is not None:
        wanted = {_expected(kind, value) for value in expect.equals}
        every_record_wanted = all(wanted.intersection(r.forms) for r in records)
        every_wanted_found = all(any(w in r.forms for r in records) for w in wanted)
        if not (every_record_wanted and every_wanted_found):
            have = ", ".join(r.text for r in records)
            problems.append(f"records are {have}; expected {', '.join(sorted(wanted))}")
    if expect.regex is not None:
        pattern = re.compile(expect.regex)
        if not any(pattern.search(form) for r in records for form in r.forms):
            problems.append(f"no record matches /{expect.regex}/")
    if expect.count is not None and len(records) != expect.count:
        plural = "" if len(records) == 1 else "s"
        problems.append(f"{len(records)} record{plural}, expected {expect.count}")
    return problems


def _expected(kind: str, value: str) -> str:
    """An expected value spelled the way records are (see the module docstring)."""
    if kind == "TXT":
        return value
    if kind == "CAA":
        value = value.replace('"', "")  # the value as zone files quote it
    spelled = " ".join(token.removesuffix(".") for token in value.lower().split())
    if kind in ("A", "AAAA"):
        try:
            return ipaddress.ip_address(spelled).compressed
        except ValueError:
            return spelled
    return spelled


def _record(rdata: Rdata) -> Record:
    """A record as normalised text (see the module docstring)."""
    from dns.rdtypes.ANY.CAA import CAA
    from dns.rdtypes.ANY.MX import MX
    from dns.rdtypes.ANY.SOA import SOA
    from dns.rdtypes.ANY.TXT import TXT
    from dns.rdtypes.IN.A import A
    from dns.rdtypes.IN.AAAA import AAAA
    from dns.rdtypes.nsbase import NSBase

    if isinstance(rdata, A | AAAA):
        return Record(ipaddress.ip_address(rdata.address).compressed)
    if isinstance(rdata, NSBase):  # CNAME and NS
        return Record(_name(rdata.target))
    if isinstance(rdata, MX):
        host = _name(rdata.exchange)
        return Record(f"{rdata.preference} {host}", (host,))
    if isinstance(rdata, TXT):
        return Record(_plain(b"".join(rdata.strings).decode("utf-8", "replace")))
    if isinstance(rdata, CAA):
        value = rdata.value.decode("utf-8", "replace")
        return Record(
            _plain(f"{rdata.flags} {rdata.tag.decode('ascii', 'replace')} {value}".lower())
        )
    if isinstance(rdata, SOA):
        numbers = (rdata.serial, rdata.refresh, rdata.retry, rdata.expire, rdata.minimum)
        fields = (_name(rdata.mname), _name(rdata.rname), *map(str, numbers))
        return Record(" ".join(fields))
    return Record(_plain(rdata.to_text().lower()))


def _name(name: dns.name.Name) -> str:
    return _plain(name.to_text(omit_final_dot=True).lower())


def _plain(text: str) -> str:
    """Outside text made safe to print: anything unprintable becomes U+FFFD."""
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
