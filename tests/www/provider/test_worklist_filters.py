"""The provider's worklist: its filters (status, deadline window, session, holder's name) and
its CSV export for Excel, of the provider's own files only."""

from __future__ import annotations

import csv
import datetime
import io
from html import unescape

import pytest
from django.urls import reverse

from cpf.bookings.models import Registration
from cpf.holders.models import Holder
from tests.accounts.factories import provider_member
from tests.clock import NOW
from tests.factories import ProviderFactory
from tests.providers.files import a_holder, file_of, validated
from tests.www.tables import stacked_labels

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return ProviderFactory(legal_name="Formations du Rhône", siret="12345678900011")


@pytest.fixture
def staff(client, provider):
    user = provider_member(provider, "lea.martin@organisme.example")
    client.force_login(user)
    return user


def named(terms, first: str, last: str) -> Holder:
    holder = a_holder(terms)
    Holder.objects.filter(pk=holder.pk).update(first_names=first, birth_name=last)
    holder.refresh_from_db()
    return holder


def listed(client, provider, **query) -> set[int]:
    html = unescape(
        client.get(
            reverse("www:provider:registrations", kwargs={"provider_id": provider.pk}), query
        ).content.decode()
    )
    return {int(part.split('"')[0]) for part in html.split('id="registration-')[1:]}


def export(client, provider, **query):
    return client.get(reverse("www:provider:registrations_csv", kwargs={"provider_id": provider.pk}), query)


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_holder_name_filter_finds_first_names_and_birth_names_whatever_the_case(
    client, staff, provider, terms
):
    durand = file_of(provider, named(terms, "Louis", "DURAND"))
    martin = file_of(provider, named(terms, "Chloé", "MARTIN"))

    assert listed(client, provider, titulaire="durand") == {durand.pk}
    assert listed(client, provider, titulaire="chloé") == {martin.pk}
    assert listed(client, provider, titulaire="louis durand") == {durand.pk}
    assert listed(client, provider, titulaire="personne") == set()


def test_the_deadline_window_filter(client, staff, provider, terms):
    # requested at NOW: the provider answers within 2 business days (due in 4 days, a week-end
    # between); with prerequisites to check, 30 days
    soon = file_of(provider, a_holder(terms))
    month = file_of(provider, a_holder(terms), prerequisites="Un niveau B1")
    overdue = file_of(provider, a_holder(terms))
    # its deadline passed an hour ago, the sweeper has not lapsed it yet
    Registration.objects.filter(pk=overdue.pk).update(deadline_at=NOW - datetime.timedelta(hours=1))

    assert listed(client, provider, echeance="overdue") == {overdue.pk}
    assert listed(client, provider, echeance="7") == {soon.pk}
    assert month.deadline_at > NOW + datetime.timedelta(days=7)
    within_30 = {r.pk for r in (soon, month) if r.deadline_at <= NOW + datetime.timedelta(days=30)}
    assert listed(client, provider, echeance="30") == within_30 >= {soon.pk}
    assert listed(client, provider) == {soon.pk, month.pk, overdue.pk}


def test_the_session_filter_takes_only_the_providers_sessions(client, staff, provider, terms):
    first = file_of(provider, a_holder(terms))
    second = file_of(provider, a_holder(terms))
    elsewhere = file_of(ProviderFactory(), a_holder(terms))

    assert listed(client, provider, session=first.session_id) == {first.pk}
    # another provider's session is not a choice: the filter is ignored, never a way in
    assert listed(client, provider, session=elsewhere.session_id) == {first.pk, second.pk}


def test_filters_combine_and_keep_through_the_pages_and_the_export_link(client, staff, provider, terms):
    waiting = file_of(provider, named(terms, "Louis", "DURAND"))
    proposal = validated(file_of(provider, named(terms, "Louise", "DURAND")))

    assert listed(client, provider, titulaire="durand", statut="validated") == {proposal.pk}
    html = unescape(
        client.get(
            reverse("www:provider:registrations", kwargs={"provider_id": provider.pk}),
            {"titulaire": "durand", "statut": "validated"},
        ).content.decode()
    )
    assert "export.csv?titulaire=durand&statut=validated" in html
    assert waiting.pk not in listed(client, provider, statut="validated")


def test_the_csv_export_is_for_excel_with_french_headers(client, staff, provider, terms):
    registration = file_of(provider, named(terms, "Louis", "DURAND"))

    response = export(client, provider)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="dossiers-12345678900011-2026-11-27.csv"'
    rows = rows_of(response)
    assert rows[0] == [
        "Dossier",
        "Statut",
        "Titulaire",
        "Formation",
        "Début de la session",
        "Fin de la session",
        "Prix TTC (€)",
        "Durée (heures)",
        "Demande envoyée le",
        "Échéance",
        "Dû à l'organisme (€)",
    ]
    assert rows[1][:3] == [str(registration.pk), "Non traité", "Louis DURAND"]
    assert rows[1][4:8] == ["01/03/2027", "30/06/2027", "2400,00", "120"]
    assert len(rows) == 2


def test_the_csv_export_holds_only_the_providers_files_and_follows_the_filters(
    client, staff, provider, terms
):
    mine = file_of(provider, named(terms, "Louis", "DURAND"))
    other = file_of(provider, named(terms, "Chloé", "MARTIN"))
    file_of(ProviderFactory(), named(terms, "Louis", "DURAND"))

    every = [row[0] for row in rows_of(export(client, provider))[1:]]
    durand = [row[0] for row in rows_of(export(client, provider, titulaire="durand"))[1:]]

    assert sorted(every) == sorted([str(mine.pk), str(other.pk)])
    assert durand == [str(mine.pk)]


def test_a_member_of_another_provider_gets_no_export(client, provider, terms):
    file_of(provider, a_holder(terms))
    client.force_login(provider_member(ProviderFactory(), "autre@organisme.example"))

    assert export(client, provider).status_code == 404


def test_on_a_phone_each_file_of_the_worklist_is_a_block_with_its_cells_named(client, staff, provider, terms):
    file_of(provider, named(terms, "Louis", "DURAND"))
    html = unescape(
        client.get(
            reverse("www:provider:registrations", kwargs={"provider_id": provider.pk})
        ).content.decode()
    )

    headers, rows = stacked_labels(html, "registrations")

    assert headers == ["Dossier", "Titulaire", "Formation et session", "Statut", "Échéance"]
    assert rows == [headers[1:]]
