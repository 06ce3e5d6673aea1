"""What a probe may use: shared clients, the resolver, TLS trust, secrets and the clock.

The runner builds one :class:`ProbeContext` per run and closes it afterwards; tests build
one pointed at local servers. Probes never create their own clients, so connection pools,
caches (the RDAP bootstrap) and limits are shared and every endpoint can be redirected.
Clients are created on first use, so a run without HTTP checks never imports aiohttp.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from freecost.probes.tlsinfo import plain
from freecost.results import Layer, Outcome
from freecost.secrets import SecretRef

if TYPE_CHECKING:
    import aiohttp
    import dns.asyncresolver
    import httpx

    from freecost.inventory import Settings

USER_AGENT = "freecost (+https://github.com/freecost/freecost)"
NO_RESOLVER = "this machine has no DNS resolver configured; set settings.dns.nameservers"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ProbeContext:
    """Shared resources for one run of checks. Use ``async with`` to close them."""

    settings: Settings
    base_dir: Path
    environ: Mapping[str, str] | None = None
    now: Callable[[], datetime] = _utc_now
    cache: dict[str, Any] = field(default_factory=dict)
    _http: aiohttp.ClientSession | None = None
    _api: httpx.AsyncClient | None = None
    _resolver: dns.asyncresolver.Resolver | None = None
    _ssl: ssl.SSLContext | None = None

    async def __aenter__(self) -> ProbeContext:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._api is not None:
            await self._api.aclose()
            self._api = None

    def prepare(self, clients: Iterable[str]) -> None:
        """Build the named shared clients now (see ``CheckBase.clients``)."""
        builders: dict[str, Callable[[], object]] = {
            "http": lambda: self.http,
            "api": lambda: self.api,
            "resolver": lambda: self.resolver,
            "ssl": self.ssl_context,
        }
        for name in sorted(set(clients)):
            # A client that cannot be built (a missing CA bundle) fails again in the check
            # that uses it, which reports it as that check's error; the run goes on.
            with contextlib.suppress(Exception):
                builders[name]()

    def secret(self, ref: SecretRef) -> str:
        """A secret's value; raises SecretError naming it (the runner makes that an error)."""
        return ref.resolve(self.base_dir, self.environ)

    def ssl_context(self) -> ssl.SSLContext:
        """Verification against the system store, or ``settings.tls.ca_bundle`` when set.

        Raises OSError when the store cannot be read; :meth:`unreadable_trust` is the
        probe's answer then."""
        if self._ssl is None:
            bundle = self.settings.tls.ca_bundle
            cafile = str(self.base_dir / bundle) if bundle else None
            self._ssl = ssl.create_default_context(cafile=cafile)
        return self._ssl

    def unreadable_trust(self, exc: OSError, **details: Any) -> Outcome:
        """The outcome when :meth:`ssl_context` cannot read the trusted certificates: an
        ``error`` of this machine's, never the server's fault."""
        bundle = self.settings.tls.ca_bundle
        summary = f"cannot load the trusted certificates from {bundle or 'the system'}: {exc}"
        return Outcome.error(plain(summary), Layer.LOCAL, **details)

    @property
    def http(self) -> aiohttp.ClientSession:
        """The session for ``http`` checks: cheap per request under high concurrency."""
        if self._http is None:
            import aiohttp

            connector = aiohttp.TCPConnector(
                limit=0, ssl=self.ssl_context(), ttl_dns_cache=300, enable_cleanup_closed=True
            )
            self._http = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": USER_AGENT},
                auto_decompress=False,  # the probe decompresses itself, within a cap
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
        return self._http

    @property
    def api(self) -> httpx.AsyncClient:
        """The client for vendors' JSON APIs (status pages, RDAP, telephony)."""
        if self._api is None:
            import httpx

            self._api = httpx.AsyncClient(
                verify=self.ssl_context(),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                follow_redirects=True,
                max_redirects=5,
                trust_env=False,
            )
        return self._api

    @property
    def resolver(self) -> dns.asyncresolver.Resolver:
        """The resolver from ``settings.dns``, else the system's."""
        if self._resolver is None:
            import dns.asyncresolver

            dns_settings = self.settings.dns
            if dns_settings.nameservers:
                resolver = dns.asyncresolver.Resolver(configure=False)
                resolver.nameservers = list(dns_settings.nameservers)
                resolver.port = dns_settings.port
            else:
                resolver = dns.asyncresolver.Resolver()
            self._resolver = resolver
        return self._resolver
