"""The Grasshopper, Zoho Mail, WordPress.com, Namecheap and Pipedrive packs say what was sourced.

These pin the facts that were confirmed and, just as much, the ones that were not: a pack that
quietly turned an unconfirmed SLA into a number would score a service on an invented promise.
"""

from __future__ import annotations

import pytest

from freecost.packs import Catalog, Pack, builtin_folder, load_catalog, load_pack
from freecost.probes.tls import Check as TlsCheck

NEW_PACKS = ("grasshopper", "zoho-mail", "wordpress-com", "namecheap", "pipedrive")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _pack(service: str) -> Pack:
    return load_pack(builtin_folder() / f"{service}.yaml")


@pytest.mark.parametrize("service", NEW_PACKS)
def test_pack_loads_from_its_own_file(service: str) -> None:
    pack = _pack(service)
    assert pack.service == service
    assert pack.lifecycle.status == "active"
    assert pack.when_it_breaks.first_steps


@pytest.mark.parametrize("service", NEW_PACKS)
def test_migration_targets_are_packs_in_the_catalog(service: str, catalog: Catalog) -> None:
    targets = _pack(service).migration_targets
    assert targets
    for target in targets:
        assert target.service in catalog, target.service
        assert target.service != service


@pytest.mark.parametrize("service", NEW_PACKS)
def test_no_uptime_promise_was_found_for_any_plan(service: str) -> None:
    # None of the five publishes an uptime commitment that could be confirmed; each stays
    # unknown rather than borrowing a figure from a sister product or a review site.
    for plan in _pack(service).plans:
        assert plan.sla.uptime.value == "unknown", plan.id
        assert plan.sla.financially_backed.value == "unknown", plan.id


@pytest.mark.parametrize("service", NEW_PACKS)
def test_no_status_page_is_claimed_without_a_known_format(service: str) -> None:
    pack = _pack(service)
    assert pack.status_page is None
    assert not [check for check in pack.checks() if check.type == "statuspage"]


def test_the_new_packs_bring_the_catalog_to_26(catalog: Catalog) -> None:
    assert set(NEW_PACKS) <= set(catalog.packs)
    assert len(catalog) == 26


def test_inbound_channels_are_marked() -> None:
    inbound = {service: _pack(service).inbound_channel for service in NEW_PACKS}
    assert inbound == {
        "grasshopper": True,
        "zoho-mail": True,
        "wordpress-com": True,
        "namecheap": False,
        "pipedrive": False,
    }


def test_grasshopper_number_portability_is_unconfirmed() -> None:
    pack = _pack("grasshopper")
    assert pack.category == "telephony"
    assert pack.portability.phone_number is not None
    assert not pack.portability.phone_number.known
    assert not pack.plan(None).monthly_cost.known
    assert pack.checks() == []


def test_zoho_mail_free_plan_costs_nothing_and_mail_can_be_exported() -> None:
    pack = _pack("zoho-mail")
    free = pack.plan("forever-free")
    assert free.monthly_cost.value == 0
    assert (
        free.monthly_cost.source == "https://www.zoho.eu/mail/help/adminconsole/subscription.html"
    )
    assert pack.plan("mail-lite").cost_basis == "per-user"
    assert not pack.plan("mail-lite").monthly_cost.known
    assert pack.data_export.value is True
    assert pack.portability.email_address is not None
    assert pack.portability.email_address.value is True


def test_zoho_mail_watches_its_web_mail_host() -> None:
    checks = _pack("zoho-mail").checks()
    assert len(checks) == 1
    assert isinstance(checks[0], TlsCheck)
    assert checks[0].host == "mail.zoho.com"


def test_wordpress_com_free_plan_support_is_docs_and_forum() -> None:
    pack = _pack("wordpress-com")
    assert pack.category == "website"
    free = pack.plan("free")
    assert free.support.channels.value == ["docs", "forum"]
    assert not pack.plan("paid").support.channels.known
    assert pack.portability.domain is not None
    assert not pack.portability.domain.known


def test_namecheap_domain_can_leave_but_dns_has_no_promise() -> None:
    pack = _pack("namecheap")
    assert pack.category == "domain"
    assert pack.portability.domain is not None
    assert pack.portability.domain.value is True
    plan = pack.plan("registration")
    assert plan.support.human.value is True
    assert not plan.support.channels.known
    titles = " ".join(mode.title.lower() for mode in pack.failure_modes)
    for topic in ("auto-renew", "registrar lock", "basicdns"):
        assert topic in titles
    assert [t.service for t in pack.migration_targets] == ["cloudflare-free"]


def test_pipedrive_is_billed_per_seat_at_an_unconfirmed_price() -> None:
    pack = _pack("pipedrive")
    assert pack.category == "crm"
    plan = pack.plan(None)
    assert plan.cost_basis == "per-user"
    assert not plan.monthly_cost.known
    assert pack.data_export.value is True
