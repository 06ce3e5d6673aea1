"""Check packs: what is known about a vendor's service, with a source for every fact.

A pack is ``checks/<service>.yaml``. Built-in packs ship inside the package; an inventory can
add folders of its own (``settings.packs``), and a pack there replaces a built-in of the same
name. Every fact carries the URL it came from and the date it was checked; a fact nobody could
confirm says ``unknown`` and is never guessed, because a score built on an invented SLA is
worse than none.

:func:`load_catalog` indexes the pack files without reading them; a :class:`Catalog` reads and
validates each pack the first time it is used, so a command pays only for the packs its
inventory names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Generic, Literal, TypeVar

from pydantic import Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from freecost.durations import Duration
from freecost.errors import Problem, SourceError, UnknownService, ValidationFailed
from freecost.model import HttpUrl, Identifier, Model, Text
from freecost.probes.registry import CheckBase, check_spec
from freecost.yamlsource import Document, read_document

T = TypeVar("T")
CheckSpec = check_spec()
Unknown = Literal["unknown"]

Category = Literal[
    "telephony",
    "email",
    "crm",
    "website",
    "dns",
    "domain",
    "files",
    "notes",
    "chat",
    "meetings",
    "identity",
    "payments",
    "other",
]


class Fact(Model, Generic[T]):
    """One statement about a vendor: its value, where it was read and when."""

    value: T | Unknown
    source: HttpUrl | None = None
    checked: date
    note: Text | None = None

    @model_validator(mode="after")
    def _sourced(self) -> Fact[T]:
        if self.value != "unknown" and self.source is None:
            raise PydanticCustomError(
                "fact_source", "a known fact needs a source URL (or value: unknown)"
            )
        return self

    @property
    def known(self) -> bool:
        return self.value != "unknown"


class CreditTier(Model):
    """Service credit owed when monthly uptime falls below ``below`` percent."""

    below: float = Field(gt=0, le=100)
    credit: Text


SupportChannel = Literal["phone", "chat", "email", "ticket", "forum", "form", "docs"]


class Sla(Model):
    """The contract's promise for one plan. ``none`` means confirmed absent."""

    uptime: Fact[float | Literal["none"]]
    financially_backed: Fact[bool]
    credits: Fact[list[CreditTier]] | None = None
    claim_window: Fact[Duration] | None = None


class Support(Model):
    channels: Fact[list[SupportChannel]]
    response: Fact[Duration | Literal["none"]]
    human: Fact[bool]


class Plan(Model):
    id: Identifier
    name: Text
    monthly_cost: Fact[float]
    cost_basis: Literal["per-user", "per-account", "usage"] = "per-account"
    sla: Sla
    support: Support


class Portability(Model):
    """Whether the identity a customer knows can leave with the business."""

    phone_number: Fact[bool] | None = None
    domain: Fact[bool] | None = None
    email_address: Fact[bool] | None = None


StatusProvider = Literal[
    "atlassian", "google-workspace", "slack", "statusio", "instatus", "betterstack"
]


class StatusPage(Model):
    provider: StatusProvider
    url: HttpUrl
    component: Text | None = None
    product_id: Text | None = None


class FailureMode(Model):
    title: Text
    what_customers_see: Text
    source: HttpUrl | None = None


class Lifecycle(Model):
    status: Literal["active", "end-announced", "discontinued"]
    discontinued: date | None = None
    source: HttpUrl | None = None
    checked: date

    @model_validator(mode="after")
    def _dated(self) -> Lifecycle:
        if self.status != "active" and (self.discontinued is None or self.source is None):
            raise PydanticCustomError(
                "lifecycle_date", "an ended or ending service needs a discontinued date and source"
            )
        return self


class MigrationTarget(Model):
    service: Identifier
    why: Text
    effort: Literal["low", "medium", "high"]


class WhenItBreaks(Model):
    """What to do first when this service fails: the route to a human, if any."""

    first_steps: list[Text] = Field(min_length=1)
    support_url: HttpUrl | None = None


class Pack(Model):
    """Everything freecost knows about one vendor service."""

    service: Identifier
    name: Text
    vendor: Identifier
    category: Category
    homepage: HttpUrl
    inbound_channel: bool = False
    plans: list[Plan] = Field(min_length=1)
    data_export: Fact[bool]
    portability: Portability = Portability()
    status_page: StatusPage | None = None
    default_checks: list[CheckSpec] = Field(  # type: ignore[valid-type]
        default_factory=list, description="checks a dependency gets unless it lists its own"
    )
    failure_modes: list[FailureMode] = Field(default_factory=list)
    when_it_breaks: WhenItBreaks
    lifecycle: Lifecycle
    migration_targets: list[MigrationTarget] = Field(default_factory=list)

    def checks(self) -> list[CheckBase]:
        """The default checks, typed."""
        return list(self.default_checks)

    def plan(self, plan_id: str | None) -> Plan:
        """The named plan, or the first (cheapest) when none is named."""
        if plan_id is None:
            return self.plans[0]
        for plan in self.plans:
            if plan.id == plan_id:
                return plan
        raise KeyError(plan_id)

    @model_validator(mode="after")
    def _unique_plans(self) -> Pack:
        ids = [plan.id for plan in self.plans]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise PydanticCustomError(
                "plan_duplicate", "plan ids must be unique: {ids}", {"ids": ", ".join(duplicates)}
            )
        return self


class Catalog:
    """The packs available to one inventory, by service id, each read when first asked for.

    Reading and validating every pack costs more than a command that uses four of them should
    pay, so the catalog starts as an index of files and keeps each pack once it is read. A
    pack that fails to read raises :class:`ValidationFailed` with its own problems every time
    it is asked for; the index alone answers ``in``, ``len`` and suggestions.
    """

    def __init__(self, files: Mapping[str, Path], shipped: Iterable[str] = ()) -> None:
        self._files = dict(files)
        # Packs that ship with freecost are validated by its own test suite; a user's are not.
        self._shipped = frozenset(shipped)
        self._packs: dict[str, Pack] = {}
        self._broken: dict[str, list[Problem]] = {}
        self.packs: Mapping[str, Pack] = _Packs(self)

    def get(self, service: str) -> Pack:
        """The pack for ``service``; UnknownService when there is none."""
        if service not in self._files:
            raise UnknownService(f"unknown service '{service}'{self.suggest(service)}")
        return self._read(service)

    def suggest(self, service: str) -> str:
        """`` (did you mean 'x'?)`` for a near miss, else ''."""
        return did_you_mean(service, self._files)

    def load(self, services: Iterable[str]) -> list[Problem]:
        """Read the named packs and the user's packs they suggest migrating to; their problems.

        An inventory calls this for the services it names, so scoring and recommendations
        never meet a broken pack later. A migration target that ships with freecost is left
        for recommendations to read: it cannot be broken, and validating should not pay for
        it. Names with no pack are skipped: the inventory's own rules report them with the
        line that names them.
        """
        problems: list[Problem] = []
        for service in dict.fromkeys(services):
            problems += self._problems_of(service)
            if service in self._packs:
                for target in self._packs[service].migration_targets:
                    if target.service not in self._shipped:
                        problems += self._problems_of(target.service)
        return list(dict.fromkeys(problems))

    def load_all(self) -> list[Pack]:
        """Every pack, read now; ValidationFailed lists the problems of every broken one."""
        problems = [problem for service in self._files for problem in self._problems_of(service)]
        if problems:
            raise ValidationFailed(problems)
        return [self._packs[service] for service in self._files]

    @property
    def loaded(self) -> frozenset[str]:
        """The services whose pack file has been read so far, valid or not."""
        return frozenset(self._packs) | frozenset(self._broken)

    def _problems_of(self, service: str) -> list[Problem]:
        if service not in self._files:
            return []
        try:
            self._read(service)
        except ValidationFailed as exc:
            return list(exc.problems)
        return []

    def _read(self, service: str) -> Pack:
        if service in self._packs:
            return self._packs[service]
        if service not in self._broken:
            try:
                self._packs[service] = load_pack(self._files[service])
                return self._packs[service]
            except ValidationFailed as exc:
                self._broken[service] = list(exc.problems)
            except SourceError as exc:
                self._broken[service] = [exc.problem]
        raise ValidationFailed(self._broken[service])

    def __contains__(self, service: object) -> bool:
        return service in self._files

    def __len__(self) -> int:
        return len(self._files)


class _Packs(Mapping[str, Pack]):
    """A catalog's packs as a read-only mapping; a lookup reads one pack, a walk reads all."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def __getitem__(self, service: str) -> Pack:
        if service not in self._catalog:
            raise KeyError(service)
        return self._catalog.get(service)

    def __iter__(self) -> Iterator[str]:
        # Read everything before the first key is handed out, so a walk over the values meets
        # every broken pack at once, as one ValidationFailed, rather than the first of them.
        return iter([pack.service for pack in self._catalog.load_all()])

    def __contains__(self, service: object) -> bool:
        return service in self._catalog

    def __len__(self) -> int:
        return len(self._catalog)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a choice is close to ``word``, else ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def builtin_folder() -> Path:
    """The packs that ship with freecost."""
    return Path(str(resources.files("freecost") / "checks"))


def load_pack(path: Path, display: str | None = None) -> Pack:
    """Read and validate one pack file; the file name must be the service id."""
    from freecost.validation import problems_from_error

    document: Document = read_document(path, display)
    name = document.file
    if not isinstance(document.data, dict):
        raise SourceError(Problem(name, 1, 1, "", "a check pack must be a mapping of keys"))
    problems = list(document.problems)
    try:
        pack = Pack.model_validate(document.data)
    except ValidationError as exc:
        raise ValidationFailed(problems + problems_from_error(document, exc, Pack)) from None
    if pack.service != path.stem:
        problems.append(document.problem(("service",), f"must match the file name '{path.stem}'"))
    if problems:
        raise ValidationFailed(problems)
    return pack


def load_catalog(extra_folders: Iterable[Path] = ()) -> Catalog:
    """Index the built-in packs, then each extra folder in order; later packs replace earlier.

    Only the folders are checked here (a missing one is a problem at once); each pack file is
    read and validated when it is first used (see :class:`Catalog`).
    """
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    builtin = builtin_folder()
    for folder in (builtin, *extra_folders):
        if not folder.is_dir():
            problems.append(Problem(str(folder), None, None, "", "no such folder of check packs"))
            continue
        for path in sorted(folder.glob("*.yaml")):
            # The file name is the service id (load_pack refuses a pack that says otherwise),
            # so a later folder's file replaces an earlier one without either being read.
            files[path.stem] = path
    if problems:
        raise ValidationFailed(problems)
    return Catalog(files, shipped=[s for s, path in files.items() if path.parent == builtin])
