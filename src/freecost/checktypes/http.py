"""What an ``http`` check accepts: the URL, method, headers, expected statuses and content.

The probe is in :mod:`freecost.probes.http`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from freecost.checktypes.thresholds import Latency
from freecost.model import HttpUrl, Model, Text
from freecost.probes.registry import CheckBase
from freecost.secrets import SecretRef

Method = Literal["GET", "HEAD", "POST", "PUT", "OPTIONS"]
METHODS: tuple[str, ...] = ("GET", "HEAD", "POST", "PUT", "OPTIONS")
MIB = 1024 * 1024
MAX_BODY_LIMIT = 16 * MIB
"""The largest ``max_body``: a hundred checks in flight may each hold about twice this much."""

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_CREDENTIAL_WORDS = ("auth", "cookie", "token", "secret", "password", "key", "session", "signature")
_SIZE = re.compile(r"^(\d+)\s*(b|kb|kib|mb|mib)?$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": MIB}
_STEP = re.compile(r"""\.([^.\[\]'"]+)|\[(-?\d+)\]|\['([^']*)'\]|\["([^"]*)"\]""")


def _method(value: Any) -> Any:
    if isinstance(value, str) and value.strip().upper() in METHODS:
        return value.strip().upper()
    raise PydanticCustomError(
        "http_method",
        "'{value}' is not a method freecost sends: use GET, HEAD, POST, PUT or OPTIONS",
        {"value": str(value)[:20]},
    )


def is_credential_header(name: str) -> bool:
    """Whether a header usually carries a credential, so its value must be a secret reference."""
    lowered = name.lower()
    return any(word in lowered for word in _CREDENTIAL_WORDS)


def secret_in(value: str) -> SecretRef | None:
    """The secret a header value names (``${NAME}`` or ``file:PATH``), or None if it is plain."""
    try:
        return SecretRef.parse(value)
    except ValueError:
        return None


def _headers(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise PydanticCustomError("http_headers", "expected a mapping of header names to values")
    headers: dict[str, str] = {}
    seen: set[str] = set()
    for name, raw in value.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise PydanticCustomError(
                "header_name", "'{name}' is not a header name", {"name": str(name)[:60]}
            )
        if name.lower() in seen:
            raise PydanticCustomError(
                "header_twice", "header '{name}' is given twice", {"name": name}
            )
        seen.add(name.lower())
        headers[name] = _header_value(name, raw)
    return headers


def _header_value(name: str, raw: Any) -> str:
    # Values are never echoed: a credential typed here by mistake must not reach a log.
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise PydanticCustomError(
            "header_value", "header '{name}' needs a text value", {"name": name}
        )
    if any(char in raw for char in "\r\n\0"):
        raise PydanticCustomError(
            "header_value", "header '{name}' has a line break in its value", {"name": name}
        )
    if is_credential_header(name) and secret_in(raw) is None:
        raise PydanticCustomError(
            "plain_secret",
            "header '{name}' carries a credential, which must not be written in the "
            "inventory: name an environment variable as ${NAME} or a file as file:PATH",
            {"name": name},
        )
    return raw


def _status(value: Any) -> int | str:
    text = str(value).strip().lower() if isinstance(value, int | str) else ""
    if isinstance(value, bool) or not re.fullmatch(r"[1-5](\d\d|xx)", text):
        raise PydanticCustomError(
            "http_status",
            "'{value}' is not an HTTP status: write a code like 200 or a class like 2xx",
            {"value": str(value)[:40]},
        )
    return text if text.endswith("xx") else int(text)


def _statuses(value: Any) -> Any:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise PydanticCustomError(
            "http_status_empty", "expect_status needs at least one status, like [200]"
        )
    return items


StatusSpec = Annotated[
    int | str,
    BeforeValidator(_status),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 100, "maximum": 599},
                {"type": "string", "pattern": "^[1-5]xx$"},
            ]
        }
    ),
]
"""An HTTP status code (``200``) or a class of them (``"2xx"``)."""


def _size(value: Any) -> int:
    match = _SIZE.fullmatch(value.strip()) if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif match:
        size = int(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").lower()]
    else:
        raise PydanticCustomError(
            "size_format",
            "'{value}' is not a size: write bytes (1048576) or 512KiB, 1MiB",
            {"value": str(value)[:40]},
        )
    if not 0 < size <= MAX_BODY_LIMIT:
        raise PydanticCustomError(
            "size_range", "max_body must be more than 0 bytes and at most 16MiB"
        )
    return size


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise PydanticCustomError(
            "regex",
            "'{value}' is not a valid regular expression: {reason}",
            {"value": value[:100], "reason": str(exc)},
        ) from None
    return value


@lru_cache(maxsize=256)
def parse_json_path(text: str) -> tuple[str | int, ...]:
    """``$.a.b[0]['c d']`` → ``("a", "b", 0, "c d")``; ValueError for anything else."""
    if not text.startswith("$"):
        raise ValueError(text)
    steps: list[str | int] = []
    pos = 1
    while pos < len(text):
        match = _STEP.match(text, pos)
        if match is None:
            raise ValueError(text)
        name, index, single, double = match.groups()
        steps.append(
            int(index)
            if index is not None
            else next(part for part in (name, single, double) if part is not None)
        )
        pos = match.end()
    return tuple(steps)


def _json_path(value: str) -> str:
    try:
        parse_json_path(value)
    except ValueError:
        raise PydanticCustomError(
            "json_path",
            "'{value}' is not a JSON path freecost understands: write it like $.status, "
            "$.items[0].name or $['a key']",
            {"value": value[:100]},
        ) from None
    return value


class JsonExpect(Model):
    """A value in a JSON answer: present (or absent), and optionally equal to something."""

    path: Annotated[str, AfterValidator(_json_path)] = Field(
        description="where the value is: $.status, $.items[0].name, $['a key']"
    )
    equals: Any = Field(default=None, description="the value it must have (any JSON value)")
    exists: bool | None = Field(
        default=None, description="true: the path must be there (the default); false: absent"
    )

    @model_validator(mode="after")
    def _consistent(self) -> JsonExpect:
        if self.exists is False and "equals" in self.model_fields_set:
            raise PydanticCustomError(
                "json_contradiction", "json: 'equals' and 'exists: false' contradict each other"
            )
        return self

    @model_serializer(mode="wrap")
    def _without_unset_equals(self, handler: SerializerFunctionWrapHandler) -> Any:
        # `equals: null` is an expectation; an absent `equals` is none, and must stay absent.
        data = handler(self)
        if isinstance(data, dict) and "equals" not in self.model_fields_set:
            data.pop("equals", None)
        return data


class Check(CheckBase):
    """Fetch a URL and judge the answer: status, content, speed."""

    model_config = ConfigDict(serialize_by_alias=True)

    type_name: ClassVar[str] = "http"
    clients: ClassVar[frozenset[str]] = frozenset({"http"})
    type: Literal["http"]
    url: HttpUrl = Field(description="the page or API to fetch")
    method: Annotated[Method, BeforeValidator(_method)] = Field(
        default="GET", description="GET, HEAD, POST, PUT or OPTIONS"
    )
    headers: Annotated[dict[str, str], BeforeValidator(_headers)] = Field(
        default_factory=dict,
        description="request headers; credentials (Authorization, Cookie, API keys) only as "
        "${NAME} or file:PATH",
    )
    body: Text | None = Field(default=None, description="request body (text), for POST or PUT")
    expect_status: Annotated[list[StatusSpec], BeforeValidator(_statuses)] = Field(
        default_factory=lambda: list[int | str]([200]),
        description="acceptable statuses: codes or classes (2xx)",
    )
    contains: Text | None = Field(
        default=None, min_length=1, description="text the page must contain"
    )
    not_contains: Text | None = Field(
        default=None, min_length=1, description="text the page must not contain"
    )
    regex: Annotated[str, AfterValidator(_regex)] | None = Field(
        default=None, description="a regular expression the page must match"
    )
    json_expect: JsonExpect | None = Field(
        default=None, alias="json", description="a value the JSON answer must hold"
    )
    latency: Latency | None = Field(default=None, description="thresholds for the answer's time")
    follow_redirects: bool = Field(default=True, description="follow 301/302/303/307/308")
    max_redirects: int = Field(default=5, ge=0, le=20, description="more is a failure")
    max_body: Annotated[int, BeforeValidator(_size)] = Field(
        default=MIB, description="read at most this much of the body (bytes, or 512KiB, 1MiB)"
    )

    @field_validator("url")
    @classmethod
    def _usable_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.username is not None or parts.password is not None:
            raise PydanticCustomError(
                "url_credentials",
                "the URL holds a user name or password: send credentials in a header "
                "whose value is ${NAME} or file:PATH instead",
            )
        return value

    @model_validator(mode="after")
    def _head_has_no_body(self) -> Check:
        if self.method == "HEAD" and self.inspects_body():
            raise PydanticCustomError(
                "head_body",
                "a HEAD request has no body to check: remove contains, not_contains, regex "
                "and json, or use GET",
            )
        return self

    def inspects_body(self) -> bool:
        """Whether any expectation needs the body's text."""
        expectations = (self.contains, self.not_contains, self.regex, self.json_expect)
        return any(item is not None for item in expectations)

    def target(self) -> str | None:
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
