"""Who may open each holder page: anonymous visitors, the holder, another holder, an agent.
No page takes a holder's identifier: each shows the logged-in holder's own data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.holders.factories import OTHER_NIR, holder_with_login
from tests.holders.rights_data import credit_year

pytestmark = pytest.mark.django_db

HOLDER_PAGES = ["www:holder:account", "www:holder:rights"]
PUBLIC_PAGES = [
    "www:holder:sign_up",
    "www:holder:sign_up_done",
    "www:holder:login",
    "www:holder:password_reset",
    "www:holder:password_reset_done",
    "www:holder:password_reset_complete",
    "www:holder:terms",
]


@pytest.mark.parametrize("name", HOLDER_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, name):
    url = reverse(name)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('www:holder:login')}?next={url}"


@pytest.mark.parametrize("name", HOLDER_PAGES)
def test_each_holder_sees_their_own_account_only(client, holder, terms, name):
    other = holder_with_login(nir=OTHER_NIR, email="autre@example.fr", accepted=terms)
    credit_year(holder, year=2025, amount_cents=123_45)
    credit_year(other, year=2025, amount_cents=678_90)

    client.force_login(holder.user)
    mine = client.get(reverse(name)).text
    client.force_login(other.user)
    theirs = client.get(reverse(name)).text

    assert ("123,45" in mine or holder.masked_nir in mine) and "678,90" not in mine
    assert other.masked_nir not in mine
    assert ("678,90" in theirs or other.masked_nir in theirs) and "123,45" not in theirs
    assert holder.masked_nir not in theirs


@pytest.mark.parametrize("name", HOLDER_PAGES)
def test_agents_have_no_holder_pages(admin_client, terms, name):
    response = admin_client.get(reverse(name))

    assert response.status_code == 403


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_open_to_anonymous_visitors(client, terms, name):
    assert client.get(reverse(name)).status_code == 200


def test_a_login_whose_address_is_not_confirmed_has_no_session_to_use(client, terms):
    holder = holder_with_login(active=False, accepted=terms)
    client.force_login(holder.user)

    response = client.get(reverse("www:holder:rights"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("www:holder:login"))
