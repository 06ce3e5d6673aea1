"""The ``mail-auth`` check: a mail domain publishes what receivers need to trust its mail.

One check reads the domain's mail records and judges each as a *finding*:

* ``mx``: MX records exist and every MX host has an address (A or AAAA); none, a null MX
  (RFC 7505) or a host without an address fails;
* ``spf``: exactly one SPF record, valid, within the 10 DNS-lookup limit of RFC 7208
  section 4.6.4 (includes followed); ``+all`` fails (any server may send as the domain),
  ``?all`` or no ``all`` at all warns (receivers are told nothing);
* ``dmarc``: a DMARC record at ``_dmarc.<domain>``, else at the organisational domain (RFC 7489
  section 6.6.3); missing or invalid fails, ``p=none`` warns, a missing ``rua`` warns;
* ``dkim:<selector>``: for each selector named, ``<selector>._domainkey.<domain>`` holds a TXT
  record with a non-empty ``p=`` key; otherwise fails, since the user said mail is signed so;
* ``mta-sts`` and ``tls-rpt``: the ``_mta-sts`` and ``_smtp._tls`` TXT records (RFC 8461,
  RFC 8460); missing or invalid warns. Only the DNS records are read: the MTA-STS policy file
  is served over HTTPS and is deliberately not fetched, so nothing here leaves DNS.

The records themselves are looked up with the run's resolver (asynchronously). checkdmarc
parses SPF and DMARC; both may query DNS (SPF includes, the DMARC report domain's MX), so
they run in a worker thread with a synchronous resolver that asks the same servers and stops
at this check's deadline. The outcome's status is the worst finding's (fail, then error, then
warn). A resolver that times out or answers SERVFAIL makes the finding an ``error`` at the
``dns`` layer, since nothing was learnt about the domain; NXDOMAIN for the domain fails.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from freecost.checktypes.mailauth import Check
from freecost.durations import format_duration
from freecost.probes.context import NO_RESOLVER
from freecost.results import Layer, Outcome, Status

if TYPE_CHECKING:
    import dns.asyncresolver
    import dns.name
    import dns.resolver
    from dns.rdata import Rdata

    from freecost.probes.context import ProbeContext

# The check's parameters are defined in freecost.checktypes.mailauth; kept reachable here.
__all__ = ["Check", "probe"]

MAX_RECORD_CHARS = 500
MAX_SUMMARY_CHARS = 200
MAX_MX_HOSTS = 10
_LIFETIME_SHARE = 0.8
_RANK = {Status.OK: 0, Status.WARN: 1, Status.ERROR: 2, Status.FAIL: 3}
_LABELS = {"spf": "SPF", "dmarc": "DMARC"}


@dataclass(frozen=True)
class Finding:
    """One item's verdict. ``layer`` says where a problem lies; it is not part of details."""

    item: str
    status: Status
    message: str
    record: str | None = None
    layer: Layer = Layer.CONTENT

    def to_json(self) -> dict[str, Any]:
        record = None if self.record is None else _clip(_plain(self.record), MAX_RECORD_CHARS)
        return {
            "item": self.item,
            "status": self.status.value,
            "message": _plain(self.message),
            "record": record,
        }


@dataclass(frozen=True)
class Answer:
    """What one lookup found: records, no such name, or why the resolver could not say."""

    records: tuple[Rdata, ...] = ()
    nxdomain: bool = False
    trouble: str | None = None

    def texts(self) -> list[str]:
        """TXT records as SPF and DKIM read them: the strings joined with nothing between."""
        from dns.rdtypes.ANY.TXT import TXT

        return [
            b"".join(r.strings).decode("utf-8", "replace")
            for r in self.records
            if isinstance(r, TXT)
        ]


@dataclass
class _Run:
    """One probe run: the async resolver and the moment every lookup must give up."""

    resolver: dns.asyncresolver.Resolver
    deadline: float
    budget: float
    lookups: dict[tuple[str, str], asyncio.Task[Answer]] = field(default_factory=dict)

    def left(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)

    def lookup(self, name: str, rdtype: str) -> asyncio.Task[Answer]:
        """The lookup of ``name``/``rdtype``, started once and shared by whoever asks."""
        key = (name, rdtype)
        if key not in self.lookups:
            self.lookups[key] = asyncio.ensure_future(self._resolve(name, rdtype))
        return self.lookups[key]

    async def _resolve(self, name: str, rdtype: str) -> Answer:
        import dns.exception
        import dns.name
        import dns.resolver

        try:
            answer = await self.resolver.resolve(
                dns.name.from_text(name),
                rdtype,
                search=False,
                raise_on_no_answer=False,
                lifetime=self.left(),
            )
        except dns.resolver.NXDOMAIN:
            return Answer(nxdomain=True)
        except dns.exception.DNSException as exc:
            return Answer(trouble=_failure(exc, name, rdtype, self.budget))
        return Answer(records=tuple(answer.rrset or ()))


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    """Look the domain's mail records up and judge each."""
    import dns.resolver

    try:
        resolver = ctx.resolver
    except dns.resolver.NoResolverConfiguration:
        return Outcome.error(NO_RESOLVER)
    budget = (check.timeout or ctx.settings.timeout).total_seconds()
    budget = budget * _LIFETIME_SHARE / (check.retries + 1)
    run = _Run(resolver, time.monotonic() + budget, budget)
    domain = check.domain
    names = [
        (domain, "MX"),
        (domain, "TXT"),
        (f"_dmarc.{domain}", "TXT"),
        *((f"{selector}._domainkey.{domain}", "TXT") for selector in check.dkim_selectors),
        (f"_mta-sts.{domain}", "TXT"),
        (f"_smtp._tls.{domain}", "TXT"),
    ]
    try:
        for name, rdtype in names:  # all at once: a slow server costs one wait, not six
            run.lookup(name, rdtype)
        mx_answer = await run.lookup(domain, "MX")
        if mx_answer.nxdomain:
            gone = Finding(
                "mx", Status.FAIL, f"{domain} does not exist (NXDOMAIN)", layer=Layer.DNS
            )
            return _outcome([gone])
        judged = await asyncio.gather(
            _mx(run, domain, mx_answer),
            _spf(run, domain),
            _dmarc(run, domain),
            *(_dkim(run, domain, selector) for selector in check.dkim_selectors),
            _policy_record(run, domain, "mta-sts"),
            _policy_record(run, domain, "tls-rpt"),
        )
    finally:
        for task in run.lookups.values():
            task.cancel()
    return _outcome(list(judged))


def _outcome(findings: list[Finding]) -> Outcome:
    worst = max(findings, key=lambda f: _RANK[f.status])
    problems = sorted(
        (f for f in findings if f.status is not Status.OK), key=lambda f: -_RANK[f.status]
    )
    fine = [f for f in findings if f.status is Status.OK]
    summary = _clip(_plain("; ".join(f.message for f in [*problems, *fine])), MAX_SUMMARY_CHARS)
    layer = None if worst.status is Status.OK else worst.layer
    return Outcome(worst.status, summary, layer, {"findings": [f.to_json() for f in findings]})


def _failure(exc: Exception, name: Any, rdtype: Any, budget: float) -> str:
    """What went wrong with a lookup, in a phrase: the DNS server's fault, not the domain's."""
    import dns.exception
    import dns.rdatatype
    import dns.resolver

    name = str(name).removesuffix(".")
    kind = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))
    if isinstance(exc, dns.exception.Timeout):
        waited = format_duration(timedelta(seconds=round(budget, 1)))
        return f"no answer from the DNS server within {waited} for {name} {kind}"
    if isinstance(exc, dns.resolver.NoNameservers):
        errors = exc.kwargs.get("errors") or []
        rcodes = [error[3] for error in errors if isinstance(error[3], str)]
        said = f"answered {rcodes[0]}" if rcodes else "could not be reached"
        return f"the DNS server {said} for {name} {kind}"
    return f"the lookup of {name} {kind} failed: {exc}"


def _trouble(item: str, answer: Answer) -> Finding | None:
    if answer.trouble is None:
        return None
    return Finding(item, Status.ERROR, answer.trouble, layer=Layer.DNS)


# --- MX -------------------------------------------------------------------------------------


async def _mx(run: _Run, domain: str, answer: Answer) -> Finding:
    import dns.name
    from dns.rdtypes.ANY.MX import MX

    trouble = _trouble("mx", answer)
    if trouble:
        return trouble
    exchanges = sorted(
        (r for r in answer.records if isinstance(r, MX)),
        key=lambda r: (r.preference, str(r.exchange)),
    )
    record = ", ".join(f"{r.preference} {_host(r.exchange)}" for r in exchanges) or None
    if not exchanges:
        message = f"no MX record: mail for {domain} has no declared destination"
        return Finding("mx", Status.FAIL, message, layer=Layer.DNS)
    hosts = list(dict.fromkeys(_host(r.exchange) for r in exchanges))
    if all(r.exchange == dns.name.root for r in exchanges):
        message = f"null MX: {domain} declares it accepts no mail (RFC 7505)"
        return Finding("mx", Status.FAIL, message, record)
    checked = hosts[:MAX_MX_HOSTS]
    addressed = await asyncio.gather(*(_has_address(run, host) for host in checked))
    for host, (found, why) in zip(checked, addressed, strict=True):
        if why:
            return Finding("mx", Status.ERROR, why, record, Layer.DNS)
        if not found:
            message = f"MX host {host} has no address: mail to it cannot be delivered"
            return Finding("mx", Status.FAIL, message, record, Layer.DNS)
    plural = "" if len(hosts) == 1 else "s"
    return Finding("mx", Status.OK, f"{len(hosts)} MX host{plural}", record)


async def _has_address(run: _Run, host: str) -> tuple[bool, str | None]:
    """Whether the host has an A or AAAA record, and why that could not be told."""
    answers = await asyncio.gather(run.lookup(host, "A"), run.lookup(host, "AAAA"))
    if any(a.records for a in answers):
        return True, None
    return False, next((a.trouble for a in answers if a.trouble), None)


def _host(name: Any) -> str:
    return str(name.to_text(omit_final_dot=True)).lower()


# --- SPF ------------------------------------------------------------------------------------


async def _spf(run: _Run, domain: str) -> Finding:
    answer = await run.lookup(domain, "TXT")
    trouble = _trouble("spf", answer)
    if trouble:
        return trouble
    found = [t for t in answer.texts() if re.match(r"v=spf1(\s|$)", t, re.IGNORECASE)]
    if not found:
        message = f"no SPF record: receivers cannot tell which servers send for {domain}"
        return Finding("spf", Status.FAIL, message, layer=Layer.DNS)
    record = " | ".join(found)
    if len(found) > 1:
        message = f"{len(found)} SPF records: receivers treat more than one as an error"
        return Finding("spf", Status.FAIL, message, record)
    return await _in_thread(run, "spf", found[0], lambda r: _judge_spf(domain, found[0], r))


def _judge_spf(domain: str, record: str, resolver: dns.resolver.Resolver) -> Finding:
    from checkdmarc import spf  # type: ignore[import-untyped]

    try:
        parsed = spf.parse_spf_record(record, domain, resolver=resolver)
    except spf.SPFTooManyDNSLookups as exc:
        count = (exc.data or {}).get("dns_lookups", "more than 10")
        message = f"SPF needs {count} DNS lookups, over the limit of 10: receivers reject it"
        return Finding("spf", Status.FAIL, message, record)
    except spf.SPFTooManyVoidDNSLookups:
        message = "SPF has more than 2 lookups that find nothing: receivers may reject it"
        return Finding("spf", Status.FAIL, message, record)
    except spf.SPFError as exc:
        return Finding("spf", Status.FAIL, f"SPF record is invalid: {exc}", record)
    lookups = int(parsed.get("dns_lookups", 0))
    verdict = str(parsed["parsed"]["all"])
    terms = record.lower().split()
    if verdict == "pass":
        message = f"SPF allows any server (+all) to send mail as {domain}"
        return Finding("spf", Status.FAIL, message, record)
    if verdict == "neutral":
        said = "ends in ?all" if "?all" in terms else "has no all mechanism"
        message = f"SPF {said}: receivers are told nothing about mail from other servers"
        return Finding("spf", Status.WARN, message, record)
    return Finding("spf", Status.OK, f"SPF ok ({lookups} of 10 DNS lookups)", record)


# --- DMARC ----------------------------------------------------------------------------------


async def _dmarc(run: _Run, domain: str) -> Finding:
    from checkdmarc.utils import get_base_domain  # type: ignore[import-untyped]

    owner = domain
    found, trouble = await _dmarc_records(run, owner)
    base = str(get_base_domain(domain))
    if not found and trouble is None and base != domain:
        # RFC 7489 section 6.6.3: without a record of its own, the organisational domain's
        # record applies (the public suffix list tells where that is; it ships offline).
        owner = base
        found, trouble = await _dmarc_records(run, owner)
    if trouble is not None:
        return Finding("dmarc", Status.ERROR, trouble, layer=Layer.DNS)
    if not found:
        message = f"no DMARC record: receivers have no policy for mail forged as {domain}"
        return Finding("dmarc", Status.FAIL, message, layer=Layer.DNS)
    record = " | ".join(found)
    if len(found) > 1:
        message = f"{len(found)} DMARC records: receivers ignore them all"
        return Finding("dmarc", Status.FAIL, message, record)
    return await _in_thread(run, "dmarc", found[0], lambda r: _judge_dmarc(owner, found[0], r))


async def _dmarc_records(run: _Run, owner: str) -> tuple[list[str], str | None]:
    answer = await run.lookup(f"_dmarc.{owner}", "TXT")
    texts = [t for t in answer.texts() if t.strip().lower().startswith("v=dmarc1")]
    return texts, answer.trouble


def _judge_dmarc(owner: str, record: str, resolver: dns.resolver.Resolver) -> Finding:
    from checkdmarc import dmarc

    try:
        parsed = dmarc.parse_dmarc_record(record, owner, resolver=resolver)
    except dmarc.DMARCError as exc:
        return Finding("dmarc", Status.FAIL, f"DMARC record is invalid: {exc}", record)
    tags = parsed["tags"]
    policy = str(tags["p"]["value"])
    reported = bool(tags.get("rua", {}).get("value"))
    problems = []
    if policy == "none":
        problems.append("DMARC policy is none: spoofed mail is delivered")
    if not reported:
        problems.append("DMARC has no reporting address (rua): nobody hears of spoofing")
    if problems:
        return Finding("dmarc", Status.WARN, "; ".join(problems), record)
    return Finding("dmarc", Status.OK, f"DMARC p={policy}", record)


# --- DKIM, MTA-STS, TLS-RPT -----------------------------------------------------------------


def _tags(record: str) -> dict[str, str]:
    """A DKIM-style ``tag=value; tag=value`` list (RFC 6376 section 3.2), tags lower-cased."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        name, equals, value = part.partition("=")
        if equals:
            tags.setdefault(name.strip().lower(), "".join(value.split()))
    return tags


async def _dkim(run: _Run, domain: str, selector: str) -> Finding:
    item = f"dkim:{selector}"
    answer = await run.lookup(f"{selector}._domainkey.{domain}", "TXT")
    trouble = _trouble(item, answer)
    if trouble:
        return trouble
    texts = answer.texts()
    keyed = [t for t in texts if "p" in _tags(t)]
    record = " | ".join(keyed or texts) or None
    if not texts:
        message = f"no DKIM key for selector {selector}: mail signed with it fails DKIM"
        return Finding(item, Status.FAIL, message, layer=Layer.DNS)
    if not keyed:
        message = f"the DKIM record for selector {selector} holds no key (p=)"
        return Finding(item, Status.FAIL, message, record)
    if not any(_tags(t)["p"] for t in keyed):
        message = f"the DKIM key for selector {selector} is revoked (empty p=)"
        return Finding(item, Status.FAIL, message, record)
    return Finding(item, Status.OK, f"DKIM key for {selector}", record)


@dataclass(frozen=True)
class _Policy:
    label: str
    prefix: str
    missing: str


_POLICIES = {
    "mta-sts": _Policy(
        "MTA-STS", "v=stsv1", "senders cannot insist on encrypted delivery to {domain}"
    ),
    "tls-rpt": _Policy(
        "TLS-RPT", "v=tlsrptv1", "nobody hears when encrypted delivery to {domain} fails"
    ),
}


async def _policy_record(run: _Run, domain: str, item: Literal["mta-sts", "tls-rpt"]) -> Finding:
    from checkdmarc import mta_sts, smtp_tls_reporting

    policy = _POLICIES[item]
    name = f"_mta-sts.{domain}" if item == "mta-sts" else f"_smtp._tls.{domain}"
    answer = await run.lookup(name, "TXT")
    trouble = _trouble(item, answer)
    if trouble:
        return trouble
    found = [t for t in answer.texts() if t.strip().lower().startswith(policy.prefix)]
    if not found:
        message = f"no {policy.label} record: " + policy.missing.format(domain=domain)
        return Finding(item, Status.WARN, message, layer=Layer.DNS)
    record = " | ".join(found)
    if len(found) > 1:
        message = f"{len(found)} {policy.label} records: senders ignore them all"
        return Finding(item, Status.WARN, message, record)
    # Both parsers read the record text only: no DNS, and no fetch of the HTTPS policy file.
    parse: Callable[[str], Any]
    if item == "mta-sts":
        parse, error = mta_sts.parse_mta_sts_record, mta_sts.MTASTSError
    else:
        parse = smtp_tls_reporting.parse_smtp_tls_reporting_record
        error = smtp_tls_reporting.SMTPTLSReportingError
    try:
        parse(found[0])
    except error as exc:
        return Finding(item, Status.WARN, f"{policy.label} record is invalid: {exc}", record)
    except Exception as exc:  # checkdmarc's own failure: the probe cannot judge, say so
        message = f"{policy.label} could not be checked: {type(exc).__name__}: {exc}"
        return Finding(item, Status.ERROR, message, record, Layer.LOCAL)
    return Finding(item, Status.OK, f"{policy.label} record published", record)


# --- checkdmarc in a worker thread ----------------------------------------------------------


async def _in_thread(
    run: _Run, item: str, record: str, judge: Callable[[dns.resolver.Resolver], Finding]
) -> Finding:
    """Run a checkdmarc judgement off the event loop, with a resolver bound by the deadline.

    A lookup the resolver could not answer makes the verdict unreliable (an include that
    timed out reads to checkdmarc like one that does not exist), so it becomes an error.
    """
    _forget_answers()
    troubles: list[str] = []
    resolver = _bounded_resolver(run, troubles)
    try:
        # The resolver stops at the deadline; this bound is for the parsing around it.
        async with asyncio.timeout(run.left() + 0.5):
            finding = await asyncio.to_thread(judge, resolver)
    except TimeoutError:
        waited = format_duration(timedelta(seconds=round(run.budget, 1)))
        message = f"{_LABELS[item]} could not be checked within {waited}"
        return Finding(item, Status.ERROR, message, record, Layer.DNS)
    except Exception as exc:  # checkdmarc's own failure: the probe cannot judge, say so
        message = f"{_LABELS[item]} could not be checked: {type(exc).__name__}: {exc}"
        return Finding(item, Status.ERROR, message, record, Layer.LOCAL)
    if troubles:
        said = troubles[0]
        message = f"{_LABELS[item]} could not be checked: {said}"
        return Finding(item, Status.ERROR, message, record, Layer.DNS)
    return finding


def _bounded_resolver(run: _Run, troubles: list[str]) -> dns.resolver.Resolver:
    """A synchronous resolver asking the run's servers, which gives up at the deadline.

    It adds each lookup the servers failed (a timeout, SERVFAIL) to ``troubles``, since
    checkdmarc turns some of those into verdicts about the domain.
    """
    import dns.exception
    import dns.rdataclass
    import dns.rdatatype
    import dns.resolver

    class Bounded(dns.resolver.Resolver):
        def resolve(
            self,
            qname: dns.name.Name | str,
            rdtype: dns.rdatatype.RdataType | str = dns.rdatatype.A,
            rdclass: dns.rdataclass.RdataClass | str = dns.rdataclass.IN,
            tcp: bool = False,
            source: str | None = None,
            raise_on_no_answer: bool = True,
            source_port: int = 0,
            lifetime: float | None = None,
            search: bool | None = None,
        ) -> dns.resolver.Answer:
            left = run.left()  # at 0, dnspython gives up before sending anything
            try:
                return super().resolve(
                    qname,
                    rdtype,
                    rdclass,
                    tcp,
                    source,
                    raise_on_no_answer,
                    source_port,
                    min(left, lifetime or left),
                    search,
                )
            except (dns.exception.Timeout, dns.resolver.NoNameservers) as exc:
                # checkdmarc also asks for the obsolete SPF record type and ignores the
                # outcome, so a server that mishandles that type says nothing of the domain.
                if dns.rdatatype.RdataType.make(rdtype) != dns.rdatatype.SPF:
                    troubles.append(_failure(exc, qname, rdtype, run.budget))
                raise

    source = run.resolver
    bounded = Bounded(configure=False)
    bounded.nameservers = list(source.nameservers)
    bounded.port = source.port
    bounded.nameserver_ports = dict(source.nameserver_ports)
    bounded.timeout = source.timeout
    return bounded


class _NoAnswers(dict[str, Any]):
    """Stands in for checkdmarc's answer cache, and keeps nothing."""

    def __setitem__(self, key: str, value: Any) -> None:
        pass


def _forget_answers() -> None:
    """Stop checkdmarc caching DNS answers across checks.

    checkdmarc keeps answers for 30 minutes in a process-wide cache keyed by name alone, not
    by resolver. A monitor must report what the configured servers say now (an include fixed
    a minute ago is fixed), so the cache is replaced by one that keeps nothing. It is the
    library's only answer cache and nothing else in this process uses checkdmarc.
    """
    from checkdmarc import utils

    if not isinstance(utils.DNS_CACHE, _NoAnswers):
        utils.DNS_CACHE = _NoAnswers()


def _plain(text: str) -> str:
    """Outside text made safe to print: anything unprintable becomes U+FFFD."""
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
