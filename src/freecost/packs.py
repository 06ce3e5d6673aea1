"""Check packs: what is known about a vendor's service, with a source for every fact.

A pack is ``checks/<service>.yaml``. Built-in packs ship inside the package; an inventory can
add folders of its own (``settings.packs``), and a pack there replaces a built-in of the same
name. Every fact carries the URL it came from and the date it was checked; a fact nobody could
confirm says ``unknown`` and is never guessed, because a score built on an invented SLA is
worse than none.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Catalog:
    """The packs available to one inventory, by service id."""

    packs: Mapping[str, Pack]

    def get(self, service: str) -> Pack:
        try:
            return self.packs[service]
        except KeyError:
            raise UnknownService(f"unknown service '{service}'{self.suggest(service)}") from None

    def suggest(self, service: str) -> str:
        """`` (did you mean 'x'?)`` for a near miss, else ''."""
        return did_you_mean(service, self.packs)

    def __contains__(self, service: object) -> bool:
        return service in self.packs

    def __len__(self) -> int:
        return len(self.packs)


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
    """Built-in packs, then each extra folder in order; later packs replace earlier ones."""
    packs: dict[str, Pack] = {}
    problems: list[Problem] = []
    for folder in (builtin_folder(), *extra_folders):
        if not folder.is_dir():
            problems.append(Problem(str(folder), None, None, "", "no such folder of check packs"))
            continue
        for path in sorted(folder.glob("*.yaml")):
            try:
                pack = load_pack(path)
            except ValidationFailed as exc:
                problems.extend(exc.problems)
                continue
            except SourceError as exc:
                problems.append(exc.problem)
                continue
            packs[pack.service] = pack
    if problems:
        raise ValidationFailed(problems)
    return Catalog(packs)
