"""The pages of a provider's application (rule 24) and of its documents and bank details, and
the agents' review queue in the back-office: through HTTP, with real uploads."""

from __future__ import annotations

import datetime
from html import unescape

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from cpf.accounts.enums import AgentRole
from cpf.accounts.models import ProviderMembership
from cpf.providers.enums import BankDetailsStatus, DocumentKind, ProviderStatus
from cpf.providers.models import BankDetails, Provider
from cpf.providers.onboarding import sign_up_provider
from cpf.referentials.models import Certification
from tests.accounts.factories import log_in_to_back_office, provider_member
from tests.accounts.support import agent_with_roles
from tests.catalogue.catalogue_files import CERTIFICATION
from tests.clock import NOW, TODAY
from tests.factories import ProviderFactory
from tests.providers.onboarding_support import (
    PASSWORD,
    administrator,
    application,
    certifications,
    new_siret,
    pdf_bytes,
    png_bytes,
    upload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

SIGN_UP = reverse("www:provider:sign_up")
CONFIRM = reverse("www:provider:sign_up_confirm")


def identity(siret: str) -> dict[str, str]:
    return {
        "siret": siret[:3] + " " + siret[3:],
        "legal_name": "Atelier  Numérique",
        "address": "8 rue Mercière",
        "postal_code": "69002",
        "city": "Lyon",
    }


def rest(**changes) -> dict:
    [certification] = certifications()
    data = {
        "confirm_identity": "on",
        "email": "contact@atelier.example",
        "nda": "846 9123 4569",
        "qualiopi_number": "Q-2026-1",
        "qualiopi_valid_until": (TODAY + datetime.timedelta(days=300)).isoformat(),
        "qualiopi_file": upload("qualiopi.pdf"),
        "certification_1": certification.pk.lower(),
        "authorisation_1": upload("habilitation.pdf"),
        "kbis_issued_on": (TODAY - datetime.timedelta(days=5)).isoformat(),
        "kbis_file": upload("kbis.png", png_bytes(), "image/png"),
        "iban": "FR14 2004 1010 0505 0001 3M02 606",
        "bic": "",
        "account_holder_name": "Atelier Numérique",
        "first_name": "Inès",
        "last_name": "Garnier",
        "admin_email": "ines@atelier.example",
        "password": PASSWORD,
    }
    return {**data, **changes}


def test_a_person_creates_a_provider_space_in_two_pages(client, deliver_emails):
    siret = new_siret()

    # the identity, then its summary to confirm
    response = client.post(SIGN_UP, identity(siret))
    assert (response.status_code, response["Location"]) == (302, CONFIRM)
    page = unescape(client.get(CONFIRM).content.decode())
    assert siret in page and "Atelier Numérique" in page and "8 rue Mercière, 69002 Lyon" in page
    assert "n'a pas accès au répertoire SIRENE" in page

    response = client.post(CONFIRM, rest())

    assert (response.status_code, response["Location"]) == (302, reverse("www:provider:sign_up_done"))
    provider = Provider.objects.get(siret=siret)
    assert (provider.legal_name, provider.status, provider.nda) == (
        "Atelier Numérique",
        ProviderStatus.APPLYING,
        "84691234569",
    )
    assert provider.documents.count() == 3
    assert ProviderMembership.objects.get(provider=provider).user.email == "ines@atelier.example"
    done = unescape(client.get(reverse("www:provider:sign_up_done")).content.decode())
    assert "La demande de référencement de Atelier Numérique est enregistrée" in done
    assert "ines@atelier.example" in done
    deliver_emails()
    assert sorted(m.subject for m in mail.outbox if "ines@atelier.example" in m.to) == [
        "Compte Formation : demande de changement de coordonnées bancaires",
        "Compte Formation : votre demande de référencement est enregistrée",
        "Confirmez votre adresse e-mail – Compte Formation, espace professionnel",
    ]


def test_a_wrong_siret_key_is_refused_on_the_first_page(client):
    siret = new_siret()
    wrong = siret[:-1] + str((int(siret[-1]) + 1) % 10)

    response = client.post(SIGN_UP, identity(wrong))

    assert response.status_code == 200
    assert "clé de contrôle incorrecte" in unescape(response.content.decode())
    assert client.get(CONFIRM)["Location"] == SIGN_UP


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"confirm_identity": ""}, "confirm_identity", "Confirmez la raison sociale et l'adresse"),
        (
            {"qualiopi_file": upload("qualiopi.pdf", b"%PDF-1.4\nfaux\n%%EOF")},
            "qualiopi_file",
            "n'en est pas un",
        ),
        ({"kbis_file": upload("kbis.pdf", pdf_bytes()[:200])}, "kbis_file", "n'en est pas un"),
        ({"certification_1": "RNCP00000000"}, "certification_1", "n'est pas au répertoire"),
        ({"nda": "123"}, "nda", "11 chiffres"),
        ({"iban": "FR14 2004 1010 0505 0001 3M02 607"}, "iban", "Cet IBAN n'est pas valide"),
        (
            {"kbis_issued_on": (TODAY - datetime.timedelta(days=120)).isoformat()},
            "kbis_issued_on",
            "moins de 3 mois",
        ),
        ({"password": "court"}, "password", "8 caractères"),
    ],
)
def test_a_wrong_answer_on_the_second_page_is_shown_on_its_field_and_creates_nothing(
    client, changes, field, message
):
    client.post(SIGN_UP, identity(new_siret()))

    response = client.post(CONFIRM, rest(**changes))

    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors.get(field, [])), form.errors
    assert Provider.objects.count() == 0


def test_the_authorisations_name_certifications_in_force_today_whatever_their_2021_flag(client):
    """Rule 25: a provider applies for what holders may buy (``Certification.objects.current``),
    not for the certifications the 2021 export marked active, all ended since."""
    in_force = Certification.objects.current(TODAY).get(code=CERTIFICATION)
    ended = Certification.objects.active().exclude(pk__in=Certification.objects.current(TODAY)).first()
    assert not in_force.is_active and ended is not None

    client.post(SIGN_UP, identity(new_siret()))
    refused = client.post(CONFIRM, rest(certification_1=ended.code))
    accepted = client.post(CONFIRM, rest(certification_1=CERTIFICATION.lower()))

    assert (
        f"La certification {ended.code} n'est pas au répertoire."
        in refused.context["form"].errors["certification_1"]
    )
    assert accepted.status_code == 302
    provider = Provider.objects.get(legal_name="Atelier Numérique")
    assert list(provider.documents.exclude(certification=None).values_list("certification", flat=True)) == [
        CERTIFICATION
    ]


def test_a_provider_member_creates_another_space_with_their_login(client):
    member = provider_member(ProviderFactory(), "formateur@ailleurs.example")
    client.force_login(member)
    client.post(SIGN_UP, identity(new_siret()))

    data = {
        k: v for k, v in rest().items() if k not in {"first_name", "last_name", "admin_email", "password"}
    }
    response = client.post(CONFIRM, data)

    assert response.status_code == 302
    membership = ProviderMembership.objects.get(provider__legal_name="Atelier Numérique")
    assert (membership.user, membership.is_admin) == (member, True)


# Documents and bank details in the space ---------------------------------------------------


@pytest.fixture
def space():
    return sign_up_provider(application=application(), now=NOW, administrator=administrator())


def test_the_documents_page_lists_the_providers_documents(client, space):
    client.force_login(space.user)

    response = client.get(reverse("www:provider:documents", kwargs={"provider_id": space.provider_id}))

    page = unescape(response.content.decode())
    for document in space.provider.documents.all():
        assert reverse("www:provider:document", args=[space.provider_id, document.pk]) in page
    assert "Certificat Qualiopi" in page and "Extrait Kbis" in page


def test_an_administrator_asks_for_new_bank_details_on_the_page(client, space, deliver_emails):
    client.force_login(space.user)
    url = reverse("www:provider:bank_details", kwargs={"provider_id": space.provider_id})
    data = {
        "iban": "FR7630006000011234567890189",
        "account_holder_name": "Institut Lumière Formation",
        "statement": upload("rib.pdf"),
    }

    response = client.post(url, data)

    assert (response.status_code, response["Location"]) == (302, url)
    latest = BankDetails.objects.filter(provider=space.provider).latest("submitted_at", "id")
    assert (latest.iban, latest.status) == ("FR7630006000011234567890189", BankDetailsStatus.SUBMITTED)
    assert latest.documents.get().kind == DocumentKind.BANK_STATEMENT


def test_a_member_who_is_not_administrator_cannot_ask_for_new_bank_details(client, space):
    member = provider_member(space.provider, "membre@lumiere.example")
    client.force_login(member)
    url = reverse("www:provider:bank_details", kwargs={"provider_id": space.provider_id})
    before = list(BankDetails.objects.values_list("pk", "status"))

    response = client.post(
        url, {"iban": "FR7630006000011234567890189", "account_holder_name": "X", "statement": upload()}
    )

    assert response.status_code == 403
    assert list(BankDetails.objects.values_list("pk", "status")) == before


# The agents' review ------------------------------------------------------------------------


def test_the_review_queue_shows_deadlines_and_an_agent_accepts_an_application(client, space, deliver_emails):
    agent = agent_with_roles("qualite", AgentRole.QUALITY)
    log_in_to_back_office(client, agent)

    queue = unescape(client.get(reverse("admin:providers_provider_review_queue")).content.decode())
    assert "Institut Lumière Formation" in queue
    assert "14/12/2026" in queue and "27/01/2027" in queue

    review = reverse("admin:providers_provider_review", args=[space.provider_id])
    page = unescape(client.get(review).content.decode())
    assert "Recevabilité avant le 14/12/2026" in page
    response = client.post(review, {"decision": "accept"})

    assert (response.status_code, response["Location"]) == (302, review)
    space.provider.refresh_from_db()
    assert space.provider.status == ProviderStatus.REFERENCED
    deliver_emails()
    assert mail.outbox[-1].subject == "Compte Formation : Institut Lumière Formation est référencé"


def test_an_agent_without_the_referencing_permission_cannot_decide_in_the_back_office(client, space):
    log_in_to_back_office(client, agent_with_roles("paiements", AgentRole.PAYMENTS))
    review = reverse("admin:providers_provider_review", args=[space.provider_id])

    client.post(review, {"decision": "refuse", "reason": "Non"})

    space.provider.refresh_from_db()
    assert space.provider.status == ProviderStatus.APPLYING


@override_settings(SIGN_UP_LIMIT_PER_ADDRESS=2)
def test_applications_from_one_address_are_limited(client):
    client.post(SIGN_UP, identity(new_siret()))
    for _ in range(2):
        assert client.post(CONFIRM, rest(nda="1")).status_code == 200  # refused on its field

    response = client.post(CONFIRM, rest())

    assert response.status_code == 429
    assert "réessayez dans une heure" in unescape(response.content.decode())
    assert Provider.objects.count() == 0


def test_on_a_phone_the_history_of_bank_details_stacks_its_columns(client, space):
    client.force_login(space.user)

    page = client.get(reverse("www:provider:bank_details", kwargs={"provider_id": space.provider_id}))

    content = page.content.decode()
    assert 'class="fr-table cf-stacked" data-testid="bank-details-history"' in content
    assert 'data-label="Titulaire"' in content and "www/tables.css" in content
