"""The funders' space (rules 8 and 9): who may enter, adding one grant, sending a file."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cpf.accounts.enums import UserKind
from cpf.accounts.models import FunderMembership
from cpf.holders.models import TermsVersion
from cpf.holders.nir import Nir, parse_nir
from cpf.ledger.models import Account, Entry, Transaction
from cpf.rights import services
from cpf.rights.enums import FunderKind, GrantKind
from cpf.rights.models import Grant
from tests.accounts.factories import NOW, funder_member, member
from tests.accounts.factories import agent as agent_login
from tests.holders.factories import holder_with_login
from tests.ledger.support import valid_nir

pytestmark = pytest.mark.django_db

NIR = valid_nir(41)
GRANT_HEADER = "nir;montant;certifications;reference;nature"
SPACED_NIR = f"{NIR[0]} {NIR[1:3]} {NIR[3:5]} {NIR[5:7]} {NIR[7:10]} {NIR[10:13]} {NIR[13:]}"


@pytest.fixture
def employer():
    return services.create_funder(kind=FunderKind.EMPLOYER, name="Boulangerie Martin", siret="44102156500011")


@pytest.fixture
def opco():
    return services.create_funder(kind=FunderKind.OPCO, name="OPCO Atlas")


@pytest.fixture
def agent(client, employer):
    user = funder_member(employer)
    client.force_login(user)
    return user


def page(funder) -> str:
    return reverse("www:funder:funder", kwargs={"funder_id": funder.pk})


def ledger_rows() -> tuple[int, int, int, int]:
    return (
        Grant.objects.count(),
        Transaction.objects.count(),
        Entry.objects.count(),
        Account.objects.count(),
    )


def test_anonymous_visitors_are_sent_to_the_login_page(client, employer):
    for url in (reverse("www:funder:home"), page(employer)):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"/espace-pro/connexion/?next={url}")


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: holder_with_login(accepted=TermsVersion.objects.order_by("-in_force_from").first()).user,
        lambda: agent_login(superuser=True),
    ],
)
def test_a_logged_in_person_who_is_not_a_funder_member_is_refused(client, employer, make_user):
    client.force_login(make_user())

    assert client.get(reverse("www:funder:home")).status_code == 403
    assert (
        client.post(page(employer), {"nir": NIR, "kind": "grant", "amount": "10", "token": "t"}).status_code
        == 403
    )
    assert Grant.objects.count() == 0


def test_a_member_without_a_funder_sees_how_to_get_one_and_no_funder_page(client, employer):
    client.force_login(member(UserKind.FUNDER_MEMBER, "autre@financeur.example"))

    home = client.get(reverse("www:funder:home"))

    assert "rattaché à aucun financeur" in home.content.decode()
    assert client.get(page(employer)).status_code == 404


def test_an_agent_lands_on_their_funders_page(client, agent, employer):
    response = client.get(reverse("www:funder:home"))

    assert response["Location"] == page(employer)
    content = client.get(page(employer)).content.decode()
    assert "<h1>Boulangerie Martin</h1>" in content
    assert "Abondement correctif" in content


def test_an_agent_cannot_act_for_another_funder(client, agent, opco):
    response = client.post(page(opco), {"nir": NIR, "kind": "grant", "amount": "10", "token": "t"})

    assert response.status_code == 404
    assert Grant.objects.count() == 0


def test_a_member_of_several_funders_chooses_and_comes_back_to_the_one_chosen(client, employer, opco):
    user = funder_member(employer)
    FunderMembership.objects.create(user=user, funder=opco, joined_at=NOW, updated_at=NOW)
    client.force_login(user)

    content = client.get(reverse("www:funder:home")).content.decode()
    assert page(employer) in content and page(opco) in content

    client.get(page(opco))
    assert client.get(reverse("www:funder:home"))["Location"] == page(opco)


def test_a_deactivated_membership_gives_no_access(client, agent, employer):
    FunderMembership.objects.filter(user=agent).update(is_active=False, deactivated_at=NOW)

    assert client.get(page(employer)).status_code == 404


def test_an_agent_adds_a_grant_earmarked_for_a_certification(client, agent, employer):
    response = client.post(
        page(employer),
        {
            "nir": SPACED_NIR,
            "kind": "grant",
            "amount": "1 500,00",
            "certifications": "RNCP31114",
            "reference": "DOT-1",
            "token": "t1",
        },
        follow=True,
    )

    grant = Grant.objects.get()
    assert (grant.amount_cents, grant.funder_reference, grant.actor) == (1_500_00, "DOT-1", agent)
    assert list(grant.certifications.values_list("code", flat=True)) == ["RNCP31114"]
    content = response.content.decode()
    assert (
        f"Dotation de 1\u00a0500,00\u00a0€ enregistrée pour le titulaire {grant.holder.masked_nir}."
        in content
    )
    assert NIR not in content


def test_a_double_submission_records_one_grant(client, agent, employer):
    data = {"nir": NIR, "kind": "grant", "amount": "100", "token": "same"}

    client.post(page(employer), data)
    response = client.post(page(employer), data, follow=True)

    assert Grant.objects.count() == 1
    assert "déjà enregistrée" in response.content.decode()


def test_an_employer_records_the_corrective_cofunding(client, agent, employer):
    client.post(page(employer), {"nir": NIR, "kind": GrantKind.CORRECTIVE, "token": "t"})

    assert Grant.objects.get().amount_cents == 3_000_00


def test_a_bad_grant_is_explained_and_changes_nothing(client, agent, employer):
    before = ledger_rows()

    response = client.post(page(employer), {"nir": NIR[:-1], "kind": "grant", "amount": "-5", "token": "t"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "Le numéro de sécurité sociale compte 15 caractères (clé comprise)." in content
    assert "Le montant d&#x27;une dotation doit être positif." in content
    assert ledger_rows() == before


def test_a_file_of_grants_is_recorded(client, agent, employer):
    csv = f"{GRANT_HEADER}\n{NIR};250;;F-1;dotation\n{valid_nir(42)};;;F-2;correctif\n"

    response = client.post(
        page(employer),
        {"send_file": "1", "file": SimpleUploadedFile("dotations.csv", csv.encode())},
        follow=True,
    )

    assert "Fichier enregistré : 2 dotation(s) pour 3\u00a0250,00\u00a0€." in response.content.decode()
    assert Grant.objects.count() == 2


def test_a_bad_file_changes_nothing_and_lists_each_bad_line(client, agent, employer):
    csv = (
        f"nir;montant;certifications;reference;nature\n{NIR};250;;F-1;\n{NIR};-3;;F-2;\n{NIR};1;RNCP0;F-3;\n"
    )
    before = ledger_rows()

    response = client.post(
        page(employer), {"send_file": "1", "file": SimpleUploadedFile("d.csv", csv.encode())}
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "Aucune dotation n'a été enregistrée : 2 erreurs" in content
    assert "Ligne 3, montant : Le montant d&#x27;une dotation doit être positif." in content
    assert "Ligne 4, certifications : Certification inconnue : RNCP0." in content
    assert ledger_rows() == before


def test_a_file_that_is_not_utf8_is_refused(client, agent, employer):
    response = client.post(
        page(employer), {"send_file": "1", "file": SimpleUploadedFile("d.csv", "nir;é".encode("latin-1"))}
    )

    assert "Le fichier doit être encodé en UTF-8." in response.content.decode()
    assert Grant.objects.count() == 0


def test_the_funder_page_reads_a_bounded_number_of_queries(
    client, agent, employer, django_assert_max_num_queries
):
    for serial in range(5):
        services.add_grant(
            funder=employer, nir=_nir(serial), amount_cents=100_00, funder_reference=f"Q-{serial}", actor=None
        )

    client.get(page(employer))  # the funder chosen is remembered in the session once

    with django_assert_max_num_queries(8):
        assert client.get(page(employer)).status_code == 200


def _nir(serial: int) -> Nir:
    return parse_nir(valid_nir(50 + serial))
