"""The inventory: what the business does for its customers and the services it depends on.

The models here are the schema (``freecost schema`` prints them as JSON Schema). Use
:func:`load_inventory` to read a file: it reports every problem in one pass, each located by
file, line and column, and returns an immutable :class:`Inventory`.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from freecost.durations import Duration
from freecost.errors import Problem, SecretError, SourceError, ValidationFailed
from freecost.maintenance import MaintenanceWindow, TimeZoneName
from freecost.model import EmailAddress, HostPort, HttpUrl, Identifier, Model, Text
from freecost.probes.registry import CheckBase, check_spec
from freecost.secrets import Secret, SecretRef

if TYPE_CHECKING:
    from freecost.packs import Catalog
from freecost.yamlsource import Document, PathKey, parse_document, read_document

DEFAULT_INVENTORY = "inventory.yaml"
INVENTORY_ENV = "FREECOST_INVENTORY"
DEFAULT_DATABASE = ".freecost/history.sqlite3"

Criticality = Literal["critical", "high", "medium", "low"]
CheckSpec = check_spec()


class Business(Model):
    name: Text = Field(min_length=1, description="the business's name, as customers know it")
    contact: EmailAddress | None = Field(default=None, description="who receives the reports")


def _ip(value: Any) -> str:
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        raise PydanticCustomError(
            "ip_address", "'{value}' is not an IP address", {"value": str(value)[:60]}
        ) from None


class DnsSettings(Model):
    nameservers: list[Annotated[str, BeforeValidator(_ip)]] = Field(
        default_factory=list, description="resolvers to ask; empty means the system resolver"
    )
    port: int = Field(default=53, ge=1, le=65535)


class TlsSettings(Model):
    ca_bundle: str | None = Field(
        default=None, description="PEM file of trusted CAs (relative to the inventory)"
    )


class RdapSettings(Model):
    bootstrap_url: HttpUrl = Field(
        default="https://data.iana.org/rdap/dns.json",
        description="the IANA RDAP bootstrap file, or a mirror of it",
    )


class VantageSettings(Model):
    control: list[HostPort] = Field(
        default_factory=lambda: ["1.1.1.1:53", "8.8.8.8:53"],
        description="host:port targets this machine must reach before a vendor is blamed; "
        "an empty list turns the vantage check off",
    )


class ReportSettings(Model):
    prepared_by: Text | None = None
    client_name: Text | None = None
    logo: str | None = Field(default=None, description="image file (relative to the inventory)")


class Settings(Model):
    concurrency: int = Field(default=50, ge=1, le=10_000, description="checks in flight at once")
    timeout: Duration = Field(default=timedelta(seconds=10), description="default check deadline")
    database: str = Field(
        default=DEFAULT_DATABASE, description="history database, relative to the inventory"
    )
    dns: DnsSettings = DnsSettings()
    tls: TlsSettings = TlsSettings()
    rdap: RdapSettings = RdapSettings()
    vantage: VantageSettings = VantageSettings()
    notify: list[Secret] = Field(
        default_factory=list,
        description="notification URLs; they carry tokens, so each is ${ENV} or file:PATH",
    )
    report: ReportSettings = ReportSettings()
    packs: list[str] = Field(
        default_factory=list, description="folders of your own check packs (relative)"
    )
    timezone: TimeZoneName = Field(
        default="UTC", description="the business's timezone: days, months and weekly windows"
    )
    fail_after: int = Field(
        default=2, ge=1, le=100, description="consecutive failures before a check is down"
    )
    recover_after: int = Field(
        default=1, ge=1, le=100, description="consecutive successes before it is up again"
    )
    remind_every: Duration | None = Field(
        default=timedelta(days=1),
        description="repeat the alert this often while a check stays down (null: never)",
    )
    retention: Duration = Field(
        default=timedelta(days=30),
        description="keep every raw result this long (and those around incidents); "
        "hourly and daily figures are kept for years",
    )
    maintenance: list[MaintenanceWindow] = Field(
        default_factory=list, description="planned work for every dependency"
    )


def _needs_something(value: list[str]) -> list[str]:
    if not value:
        raise PydanticCustomError("needs_empty", "a function must need at least one dependency")
    return value


class Function(Model):
    """Something the business does for its customers, and what it cannot do without."""

    id: Identifier
    name: Text = Field(min_length=1)
    criticality: Criticality
    rto: Duration = Field(description="the longest outage the business can bear")
    needs: Annotated[list[Identifier], Field(description="dependencies; all are needed")]

    @field_validator("needs")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        return _needs_something(value)

    @model_validator(mode="before")
    @classmethod
    def _needs_present(cls, data: Any) -> Any:
        # A missing `needs` deserves the same message as an empty one.
        if isinstance(data, dict) and "needs" not in data:
            return {**data, "needs": []}
        return data


class Account(Model):
    owner: Literal["personal", "business"] = Field(
        description="whose account: a personal one leaves with the person"
    )
    id: Text = Field(min_length=1, description="the account's name; shared ids share fate")


class Asset(Model):
    """An identity customers know the business by: a number, a domain, an address."""

    kind: Literal["phone-number", "domain", "email-address"]
    value: Text
    portable: bool | None = Field(default=None, description="can it move to another vendor?")

    @model_validator(mode="before")
    @classmethod
    def _normalise_value(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "value" not in data:
            return data
        from freecost.model import _email, normalise_phone

        kind, value = data.get("kind"), data["value"]
        if kind == "phone-number":
            return {**data, "value": normalise_phone(value)}
        if kind == "email-address":
            return {**data, "value": _email(value)}
        if kind == "domain":
            return {**data, "value": _domain(value)}
        return data


def _domain(value: Any) -> str:
    import re

    text = str(value).strip().lower().rstrip(".")
    label = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
    if not re.fullmatch(rf"({label}\.)+[a-z][a-z0-9-]{{1,62}}", text):
        raise PydanticCustomError(
            "domain_format", "'{value}' is not a domain name", {"value": str(value)[:100]}
        )
    return text


class SlaOverride(Model):
    """What this business's own contract says, where it differs from the pack."""

    uptime: float | Literal["none"] | None = Field(default=None, description="percent a month")
    financially_backed: bool | None = None
    support_response: Duration | None = None
    human_support: bool | None = None
    data_export: bool | None = None
    source: Text | None = Field(default=None, description="where this was read (contract, URL)")


class Dependency(Model):
    """A service the business does not control, and how it is watched."""

    id: Identifier
    name: Text = Field(min_length=1)
    service: Identifier | None = Field(default=None, description="a check pack (freecost catalog)")
    plan: Identifier | None = None
    vendor: Identifier | None = Field(default=None, description="who runs it, when no pack says")
    monthly_cost: float | None = Field(default=None, ge=0)
    account: Account | None = None
    needs: list[Identifier] = Field(default_factory=list, description="upstream dependencies")
    alternatives: list[Identifier] = Field(
        default_factory=list, description="dependencies that can take over when this one fails"
    )
    assets: list[Asset] = Field(default_factory=list)
    inbound: bool | None = Field(
        default=None,
        description=(
            "customers reach the business through it (calls, e-mail, a contact form); "
            "default: the pack says, or it holds a phone number or e-mail address"
        ),
    )
    sla: SlaOverride = SlaOverride()
    maintenance: list[MaintenanceWindow] = Field(
        default_factory=list, description="planned work on this dependency"
    )
    checks: list[CheckSpec] | None = Field(  # type: ignore[valid-type]
        default=None, description="checks to run; when absent, the pack's default checks"
    )


class Inventory(Model):
    """A business's functions and dependencies: the input to every freecost command."""

    version: Literal[1]
    business: Business
    settings: Settings = Settings()
    functions: list[Function] = Field(min_length=1)
    dependencies: list[Dependency] = Field(min_length=1)

    def dependency(self, dependency_id: str) -> Dependency:
        for dependency in self.dependencies:
            if dependency.id == dependency_id:
                return dependency
        raise KeyError(dependency_id)

    def function(self, function_id: str) -> Function:
        for function in self.functions:
            if function.id == function_id:
                return function
        raise KeyError(function_id)


def inventory_schema() -> dict[str, Any]:
    """The inventory's JSON Schema, with defaults written the way a person writes them."""
    from pydantic.json_schema import GenerateJsonSchema

    from freecost.durations import format_duration

    class _Generator(GenerateJsonSchema):
        def encode_default(self, dft: Any) -> Any:
            if isinstance(dft, timedelta):
                return format_duration(dft)
            return super().encode_default(dft)

    return Inventory.model_json_schema(mode="validation", schema_generator=_Generator)


class LoadedInventory:
    """An inventory with where it came from: the file, its folder and the packs it can use."""

    def __init__(
        self, inventory: Inventory, path: Path, document: Document, catalog: Catalog
    ) -> None:
        self.inventory = inventory
        self.path = path
        self.document = document
        self.catalog = catalog

    @property
    def display(self) -> str:
        """The file's name as the person gave it, for messages."""
        return self.document.file

    @property
    def base_dir(self) -> Path:
        """Relative paths in the inventory (database, packs, secrets) start here."""
        return self.path.parent

    def checks(self) -> Iterator[tuple[Dependency, CheckBase]]:
        """Every check to run: a dependency's own, else its pack's defaults."""
        for dependency in self.inventory.dependencies:
            yield from ((dependency, check) for check in self.checks_of(dependency))

    def checks_of(self, dependency: Dependency) -> list[CheckBase]:
        if dependency.checks is not None:
            return list(dependency.checks)
        if dependency.service and dependency.service in self.catalog:
            return self.catalog.get(dependency.service).checks()
        return []

    def secrets(self) -> Iterator[tuple[PathKey, SecretRef]]:
        """Every secret reference in the inventory, with where it stands."""
        yield from _secret_refs(self.inventory, ())

    def missing_secrets(self, environ: Mapping[str, str] | None = None) -> list[Problem]:
        """One problem per secret that cannot be resolved now (naming it, never its value)."""
        missing = []
        for path, ref in self.secrets():
            try:
                ref.resolve(self.base_dir, environ)
            except SecretError as exc:
                missing.append(self.document.problem(path, str(exc)))
        return missing

    def missing_files(self) -> list[Problem]:
        """Files the settings name that do not exist (CA bundle, report logo)."""
        settings = self.inventory.settings
        named = {
            ("settings", "tls", "ca_bundle"): settings.tls.ca_bundle,
            ("settings", "report", "logo"): settings.report.logo,
        }
        return [
            self.document.problem(path, "no such file")
            for path, name in named.items()
            if name is not None and not (self.base_dir / name).is_file()
        ]


def _secret_refs(value: Any, path: PathKey) -> Iterator[tuple[PathKey, SecretRef]]:
    if isinstance(value, SecretRef):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secret_refs(getattr(value, name), (*path, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _secret_refs(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _secret_refs(item, (*path, index))


def find_inventory(given: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """The inventory to use: the argument, else ./inventory.yaml, else $FREECOST_INVENTORY."""
    env = os.environ if environ is None else environ
    if given:
        return Path(given)
    default = Path(DEFAULT_INVENTORY)
    if default.exists() or not env.get(INVENTORY_ENV):
        return default
    return Path(env[INVENTORY_ENV])


def load_inventory(path: Path, *, display: str | None = None) -> LoadedInventory:
    """Read, parse and validate an inventory; raise ValidationFailed listing every problem."""
    return inventory_from_document(read_document(path, display), path)


def parse_inventory(text: str, path: Path, *, display: str | None = None) -> LoadedInventory:
    """Validate inventory ``text`` as if it were the file at ``path``."""
    return inventory_from_document(parse_document(text, display or str(path)), path)


def inventory_from_document(document: Document, path: Path) -> LoadedInventory:
    """Validate a parsed inventory: fields, cross-references and the packs it uses, at once.

    The packs it uses are those its dependencies name and the user's own packs those suggest
    migrating to; other packs in the catalog stay unread until something asks for them.
    """
    from freecost.packs import load_catalog
    from freecost.references import reference_problems
    from freecost.validation import problems_from_error

    name = document.file
    if document.data is None:
        raise SourceError(
            Problem(
                name,
                None,
                None,
                "",
                "the file is empty; `freecost init` writes a starter inventory",
            )
        )
    if not isinstance(document.data, dict):
        raise SourceError(
            Problem(
                name,
                1,
                1,
                "",
                "an inventory must be a mapping of keys "
                "(version, business, functions, dependencies)",
            )
        )
    problems: list[Problem] = list(document.problems)
    catalog = None
    folders = _pack_folders(document, path.parent, problems)
    try:
        catalog = load_catalog(folders)
    except ValidationFailed as exc:
        problems.extend(exc.problems)
    if catalog is not None:
        # Only the packs this inventory uses are read, but all of them now, so a broken one
        # is reported here with its file and line rather than met later by a command.
        problems.extend(catalog.load(_named_services(document)))
    problems.extend(reference_problems(document, catalog))
    inventory = None
    try:
        inventory = Inventory.model_validate(document.data)
    except ValidationError as exc:
        problems.extend(problems_from_error(document, exc, Inventory))
    if problems or inventory is None or catalog is None:
        raise ValidationFailed(_unique(problems))
    return LoadedInventory(inventory, path, document, catalog)


def _named_services(document: Document) -> list[str]:
    """The ``service`` of every dependency, as written; the field rules judge the rest."""
    dependencies = document.data.get("dependencies")
    if not isinstance(dependencies, list):
        return []
    return [
        item["service"]
        for item in dependencies
        if isinstance(item, dict) and isinstance(item.get("service"), str)
    ]


def _pack_folders(document: Document, base_dir: Path, problems: list[Problem]) -> list[Path]:
    settings = document.data.get("settings")
    folders = settings.get("packs") if isinstance(settings, dict) else None
    if not isinstance(folders, list):
        return []
    found = []
    for index, folder in enumerate(folders):
        if not isinstance(folder, str):
            continue
        try:
            is_dir = (base_dir / folder).is_dir()
        except (OSError, ValueError):  # a name too long, or a NUL in it
            is_dir = False
        if is_dir:
            found.append(base_dir / folder)
        else:
            problems.append(document.problem(("settings", "packs", index), "no such folder"))
    return found


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
