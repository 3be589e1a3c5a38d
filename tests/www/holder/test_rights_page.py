"""The "Mes droits" page: balance, ceiling, grants by funder, paginated history (rules 1 to 8);
a holder sees only their own."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cpf.referentials.models import Certification
from tests.holders.factories import OTHER_NIR, holder_with_login
from tests.holders.rights_data import credit_year, grant

pytestmark = pytest.mark.django_db

RIGHTS = reverse("www:holder:rights")


def test_the_page_shows_balance_ceiling_grants_and_history_in_euros(client, holder):
    # given two yearly credits, the second cut by the ceiling, and an earmarked grant
    credit_year(holder, year=2024, amount_cents=500_00)
    credit_year(
        holder, year=2025, amount_cents=120_00, rate_cents=800_00, ceiling_cents=620_00, capped_cents=680_00
    )
    grant(holder, amount_cents=1_500_00, reference="ATLAS-1", certification_codes=("RNCP31114",))
    certification = Certification.objects.get(code="RNCP31114")
    client.force_login(holder.user)

    # when the holder opens the page
    response = client.get(RIGHTS)

    # then the figures are the ledger's, formatted in French
    html = response.text
    assert response.status_code == 200
    assert '<p class="fr-tile__title fr-display--xs" data-amount="balance">620,00\u00a0€</p>' in html
    assert 'data-amount="ceiling">620,00\u00a0€</p>' in html
    assert '<th scope="row">OPCO Atlas</th>' in html
    assert "1\u00a0500,00\u00a0€" in html
    assert f"<li>RNCP31114 — {certification.title}</li>" in html
    lines = response.context["page"].object_list
    assert [
        (line.label, line.amount_cents, line.year, line.rate_cents, line.capped_cents) for line in lines
    ] == [
        ("Dotation de OPCO Atlas", 1_500_00, None, None, 0),
        ("Droits acquis au titre de 2025", 120_00, 2025, 800_00, 680_00),
        ("Droits acquis au titre de 2024", 500_00, 2024, 500_00, 0),
    ]
    assert "Plafond atteint : 680,00\u00a0€ non crédités" in html
    assert "800,00\u00a0€ par an" in html
    assert "+500,00\u00a0€" in html


def test_a_holder_never_credited_sees_zero_and_the_standard_ceiling(client, holder):
    client.force_login(holder.user)

    response = client.get(RIGHTS)

    assert 'data-amount="balance">0,00\u00a0€</p>' in response.text
    assert 'data-amount="ceiling">5\u00a0000,00\u00a0€</p>' in response.text
    assert "Aucune opération pour l'instant" in response.text
    assert "Aucun financeur n'a encore abondé votre compte." in response.text


def test_the_history_is_paginated_newest_first(client, holder):
    for year in range(2000, 2025):
        credit_year(holder, year=year, amount_cents=100_00)
    client.force_login(holder.user)

    first = client.get(RIGHTS)
    second = client.get(RIGHTS, {"page": 2})
    beyond = client.get(RIGHTS, {"page": 99})
    garbage = client.get(RIGHTS, {"page": "abc"})

    assert [line.year for line in first.context["page"].object_list] == list(range(2024, 2004, -1))
    assert [line.year for line in second.context["page"].object_list] == list(range(2004, 1999, -1))
    assert beyond.context["page"].number == 2
    assert garbage.context["page"].number == 1
    assert 'aria-label="Pages de l\'historique"' in first.text
    assert 'href="?page=2"' in first.text


def test_a_holder_sees_only_their_own_rights(client, holder, terms):
    other = holder_with_login(nir=OTHER_NIR, email="autre@example.fr", accepted=terms)
    credit_year(other, year=2025, amount_cents=800_00, rate_cents=800_00, ceiling_cents=8_000_00)
    grant(other, amount_cents=300_00, reference="AUTRE-1", funder_name="Région Bretagne")
    credit_year(holder, year=2025, amount_cents=250_00)
    client.force_login(holder.user)

    response = client.get(RIGHTS)

    assert response.context["summary"].balance_cents == 250_00
    assert response.context["summary"].grants == []
    assert [line.amount_cents for line in response.context["page"].object_list] == [250_00]
    assert "Région Bretagne" not in response.text
    assert "800,00" not in response.text


def test_the_page_costs_a_fixed_number_of_queries_whatever_the_history(
    client, holder, django_assert_num_queries
):
    client.force_login(holder.user)
    credit_year(holder, year=2024, amount_cents=500_00)
    grant(holder, amount_cents=100_00, reference="G-1", certification_codes=("RNCP31114",))
    client.get(RIGHTS)  # the session learns the terms were accepted

    # session, user, terms in force, holder, rights account, ceiling, grants, their
    # certifications, one page of history, its count
    with django_assert_num_queries(10):
        small = client.get(RIGHTS)
    for year in range(2000, 2024):
        credit_year(holder, year=year, amount_cents=1_00)
    for number in range(2, 6):
        grant(holder, amount_cents=100_00, reference=f"G-{number}", certification_codes=("RNCP31114",))
    with django_assert_num_queries(10):
        large = client.get(RIGHTS)

    assert small.status_code == large.status_code == 200
    assert len(large.context["page"].object_list) == 20


def test_on_a_phone_each_line_of_the_tables_stacks_its_cells_under_their_column_names(client, holder):
    # given a credit and a grant
    credit_year(holder, year=2024, amount_cents=500_00)
    grant(holder, amount_cents=1_500_00, reference="ATLAS-1")
    client.force_login(holder.user)

    # when the holder opens the page
    html = client.get(RIGHTS).text

    # then both tables are stacked on narrow screens (www/tables.css), each cell named
    assert html.count('class="fr-table fr-table--no-caption cf-stacked"') == 2
    assert "www/tables.css" in html
    assert '<td data-label="Montant">+500,00\u00a0€</td>' in html
    assert '<td data-label="Montant versé">1\u00a0500,00\u00a0€</td>' in html
    assert "<td>" not in html  # no cell without its column's name
