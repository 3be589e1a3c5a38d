"""The pages ``make a11y`` checks (tools/a11y/check.mjs, run against a running site, not by
the tests) stay those of the site: each address it opens is one of the URLconf, the names are
unique, and the pages the phone layout was fixed for are on its list."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve

CHECK = Path(__file__).resolve().parents[2] / "tools" / "a11y" / "check.mjs"
# ["name", "/path/" or a function finding it, whether a screenshot is kept, ...]
ENTRY = re.compile(r'^\s*\["([\w-]+)",\s*(?:"([^"]*)"|(\w+)),\s*(?:true|false)', re.MULTILINE)
# A provider's pages are read under its own address, /organisme/<id>/.
PROVIDER_ROOT = "/organisme/1/"


def pages(name: str) -> dict[str, str | None]:
    """The entries of the list ``name``: each page's name and its path (None when a function
    of the script finds it)."""
    source = CHECK.read_text(encoding="utf-8")
    block = source[source.index(f"const {name} = [") :]
    block = block[: block.index("\n];")]
    return {found[0]: found[1] or None for found in ENTRY.findall(block)}


LISTS = ("PUBLIC_PAGES", "HOLDER_PAGES", "PROVIDER_PAGES", "AGENT_PAGES")


def url_name(path: str) -> str:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        pytest.fail(f"{path} is no page of the site")
    return f"{match.namespace}:{match.url_name}"


def test_each_page_has_its_own_name():
    names = [name for listed in LISTS for name in pages(listed)]

    assert len(names) == len(set(names)) > 20


@pytest.mark.parametrize("listed", ["PUBLIC_PAGES", "HOLDER_PAGES", "AGENT_PAGES"])
def test_each_address_is_a_page_of_the_site(listed):
    for path in pages(listed).values():
        if path is not None:
            url_name(path)


def test_each_provider_page_is_one_of_the_providers_space():
    for path in pages("PROVIDER_PAGES").values():
        assert url_name(PROVIDER_ROOT + path).startswith("www:provider:")


def test_the_statement_the_qualiopi_renewal_and_the_payouts_dashboard_are_checked():
    provider, agent = pages("PROVIDER_PAGES"), pages("AGENT_PAGES")

    assert url_name(PROVIDER_ROOT + provider["organisme-releve"]) == "www:provider:statement"
    assert url_name(PROVIDER_ROOT + provider["organisme-dossiers"]) == "www:provider:registrations"
    assert url_name(PROVIDER_ROOT + provider["organisme-qualiopi"]) == "www:provider:document_renewal"
    assert url_name(agent["backoffice-paiements"]) == "admin:payouts_dashboard"
    assert url_name(agent["backoffice-documents-a-verifier"]) == "admin:providers_documentrenewal_changelist"
