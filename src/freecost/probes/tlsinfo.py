"""What a TLS peer presented, in words a person reads: certificate, expiry, protocol, cipher.

Shared by every check that speaks TLS (``tls``, ``smtp``, ``imap``). Nothing here touches
the network: give it the ``ssl_object`` of an established connection, or a certificate in
DER form, and it answers with frozen data and one-line explanations.

The certificate is read from its DER bytes with ``cryptography`` rather than from
``SSLObject.getpeercert()``, because the standard library returns an empty dict for a
certificate it did not verify, and an expired or self-signed certificate is exactly the one
whose details the owner needs.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

TEXT_LIMIT = 200
NAMES_LIMIT = 50
TLS_VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
"""Protocol names as ``SSLObject.version()`` spells them, oldest first."""

# OpenSSL's X509_V_ERR_* codes, as ssl.SSLCertVerificationError.verify_code carries them.
_UNABLE_TO_GET_ISSUER = 2
_NOT_YET_VALID = 9
_EXPIRED = 10
_SELF_SIGNED = 18
_SELF_SIGNED_IN_CHAIN = 19
_UNABLE_TO_GET_ISSUER_LOCALLY = 20
_UNABLE_TO_VERIFY_LEAF = 21
_HOSTNAME_MISMATCH = 62
_IP_MISMATCH = 64

_DAY = timedelta(days=1)


def plain(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` from the outside world made safe for a summary: printable and short."""
    cleaned = "".join(char if char.isprintable() else "?" for char in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


class CertificateUnreadable(ValueError):
    """The peer's certificate could not be parsed."""


@dataclass(frozen=True)
class Certificate:
    """The facts of a leaf certificate that matter to an owner."""

    subject: str
    issuer: str
    issuer_label: str
    """The issuer's common name (or organisation): what a person calls the authority."""
    names: tuple[str, ...]
    """Subject alternative names: the DNS names and IP addresses it is valid for."""
    not_before: datetime
    not_after: datetime

    def remaining(self, now: datetime) -> timedelta:
        return self.not_after - now

    def details(self, now: datetime) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "names": list(self.names),
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_left": whole_days(self.remaining(now)),
        }


@dataclass(frozen=True)
class Session:
    """An established TLS session: the negotiated protocol and cipher, and the certificate."""

    version: str | None
    cipher: str | None
    certificate: Certificate | None
    unreadable: str | None = None
    """Why the certificate could not be read, when it could not."""

    def details(self, now: datetime) -> dict[str, Any]:
        found: dict[str, Any] = {"version": self.version, "cipher": self.cipher}
        if self.certificate is not None:
            found.update(self.certificate.details(now))
        if self.unreadable is not None:
            found["certificate_error"] = self.unreadable
        return found


def read_certificate(der: bytes) -> Certificate:
    """Parse a DER certificate; raise :class:`CertificateUnreadable` with the reason."""
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
        return Certificate(
            subject=plain(cert.subject.rfc4514_string()),
            issuer=plain(cert.issuer.rfc4514_string()),
            issuer_label=plain(_label(cert.issuer)),
            names=_alternative_names(cert),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
        )
    except ValueError as exc:
        raise CertificateUnreadable(plain(str(exc))) from None


def _label(name: Any) -> str:
    from cryptography.x509.oid import NameOID

    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        found = name.get_attributes_for_oid(oid)
        if found:
            return str(found[0].value)
    return str(name.rfc4514_string()) or "an unnamed issuer"


def _alternative_names(cert: Any) -> tuple[str, ...]:
    from cryptography import x509

    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    names = [*extension.value.get_values_for_type(x509.DNSName)]
    names += [str(address) for address in extension.value.get_values_for_type(x509.IPAddress)]
    return tuple(plain(name, 100) for name in names[:NAMES_LIMIT])


def read_session(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> Session:
    """The session behind an established connection, certificate included if it parses."""
    cipher = ssl_object.cipher()
    der = ssl_object.getpeercert(binary_form=True)
    certificate, unreadable = None, None
    if der is None:
        unreadable = "the server sent no certificate"
    else:
        try:
            certificate = read_certificate(der)
        except CertificateUnreadable as exc:
            unreadable = str(exc)
    return Session(
        version=ssl_object.version(),
        cipher=cipher[0] if cipher else None,
        certificate=certificate,
        unreadable=unreadable,
    )


def whole_days(span: timedelta) -> int:
    """Whole days in ``span``, rounded towards zero (2.9 days left is "2 days")."""
    return int(span / _DAY)


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def describe_expiry(not_after: datetime, now: datetime) -> str:
    """How far ``not_after`` is, like "expires in 3 days (2026-05-04)" or "expired 3 days ago
    (2026-04-28)": never a negative count.
    """
    span = not_after - now
    date = not_after.date().isoformat()
    if span > timedelta(0):
        days = whole_days(span)
        if days:
            return f"expires in {_count(days, 'day')} ({date})"
        hours = int(span / timedelta(hours=1))
        return (
            f"expires in {_count(hours, 'hour')} ({date})"
            if hours
            else f"expires within the hour ({date})"
        )
    days = whole_days(-span)
    if days:
        return f"expired {_count(days, 'day')} ago ({date})"
    return f"expired today ({date})"


def version_below(version: str | None, minimum: str) -> bool:
    """Whether a negotiated protocol is older than ``minimum`` (unknown names are not)."""
    if version not in TLS_VERSIONS:
        return False
    return TLS_VERSIONS.index(version) < TLS_VERSIONS.index(minimum)


def explain_untrusted(
    error: ssl.SSLCertVerificationError, host: str, certificate: Certificate | None, now: datetime
) -> str:
    """Why verification failed, for a person: the expiry, the wrong name, the unknown issuer."""
    code = error.verify_code
    if code == _EXPIRED and certificate is not None:
        return f"certificate {describe_expiry(certificate.not_after, now)}"
    if code == _EXPIRED:
        return "certificate has expired"
    if code == _NOT_YET_VALID:
        start = f" until {certificate.not_before.date().isoformat()}" if certificate else " yet"
        return f"certificate is not valid{start}"
    if code in (_HOSTNAME_MISMATCH, _IP_MISMATCH):
        return plain(f"certificate is not valid for {host}{_listed(certificate)}")
    if code == _SELF_SIGNED:
        return "certificate is self-signed: no trusted authority vouches for it"
    if code == _SELF_SIGNED_IN_CHAIN:
        return "certificate chain ends in a self-signed root that this machine does not trust"
    if code in (_UNABLE_TO_GET_ISSUER, _UNABLE_TO_GET_ISSUER_LOCALLY, _UNABLE_TO_VERIFY_LEAF):
        issuer = f" ({certificate.issuer_label})" if certificate else ""
        return plain(
            f"certificate is not trusted: its issuer{issuer} is not a known authority, "
            "or the server does not send its intermediate certificate"
        )
    return plain(f"certificate is not trusted: {error.verify_message}")


def _listed(certificate: Certificate | None) -> str:
    if certificate is None or not certificate.names:
        return ""
    shown = ", ".join(certificate.names[:5])
    more = f" and {len(certificate.names) - 5} more" if len(certificate.names) > 5 else ""
    return f": it names {shown}{more}"


_HANDSHAKE_REASONS = {
    "WRONG_VERSION_NUMBER": "the server did not answer in TLS (is this the right port?)",
    "UNSUPPORTED_PROTOCOL": "the server offers only TLS versions older than TLSv1.2",
    "TLSV1_ALERT_PROTOCOL_VERSION": "the server offers only TLS versions older than TLSv1.2",
    "NO_PROTOCOLS_AVAILABLE": "the server offers only TLS versions older than TLSv1.2",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "the server and this machine share no cipher",
    "NO_SHARED_CIPHER": "the server and this machine share no cipher",
    "TLSV1_UNRECOGNIZED_NAME": "the server does not recognise the host name it was asked for",
    "UNEXPECTED_EOF_WHILE_READING": "the server closed the connection during the TLS handshake",
}


def explain_handshake(error: ssl.SSLError) -> str:
    """A failed handshake (other than verification), in words."""
    reason = getattr(error, "reason", None)
    if isinstance(reason, str) and reason in _HANDSHAKE_REASONS:
        return _HANDSHAKE_REASONS[reason]
    return plain(f"TLS handshake failed: {reason or error}")
