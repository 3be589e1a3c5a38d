"""Referencing and sanctions of training organisations (rules 24 and 26)."""

from __future__ import annotations

import datetime

import pytest

from cpf.core.errors import Problem
from cpf.providers import services
from cpf.providers.enums import BankDetailsStatus, ProviderStatus
from cpf.providers.models import Provider, ProviderTransition
from cpf.providers.services import ProviderApplication
from tests.clock import NOW
from tests.factories import ProviderFactory, luhn_complete

VALID_SIRET = "73282932000074"  # a real, valid SIRET
VALID_IBAN = "FR76 3000 6000 0112 3456 7890 189"

pytestmark = pytest.mark.django_db


def application(**overrides) -> ProviderApplication:
    values = {
        "legal_name": "Institut Formation Lyon",
        "siret": "732 829 320 00074",
        "nda": "84 69 12345 67",
        "qualiopi_number": "Q-2024-001",
        "qualiopi_valid_from": datetime.date(2024, 1, 1),
        "qualiopi_valid_until": datetime.date(2027, 1, 1),
        "iban": VALID_IBAN,
    }
    return ProviderApplication(**{**values, **overrides})


def test_an_application_is_recorded_with_compact_identifiers_and_logged():
    provider = services.apply_for_referencing(application=application(), now=NOW)

    assert provider.status == ProviderStatus.APPLYING
    assert (provider.siret, provider.nda) == (VALID_SIRET, "84691234567")
    assert list(provider.bank_details.values_list("iban", "account_holder_name", "status")) == [
        ("FR7630006000011234567890189", "Institut Formation Lyon", BankDetailsStatus.SUBMITTED)
    ]
    assert list(provider.transitions.values_list("from_status", "to_status", "reason")) == [
        ("applying", "applying", "Dépôt de la candidature")
    ]


@pytest.mark.parametrize(
    ("field", "value", "code", "message"),
    [
        ("siret", "7328293200007", "siret_format", "Le SIRET doit compter 14 chiffres."),
        (
            "siret",
            "73282932000075",
            "siret_checksum",
            "Ce SIRET n'est pas valide : vérifiez les 14 chiffres (clé de contrôle incorrecte).",
        ),
        ("nda", "123", "nda_format", "Le numéro de déclaration d'activité doit compter 11 chiffres."),
        (
            "iban",
            "FR76 3000 6000 0112 3456 7890 188",
            "iban_invalid",
            "Cet IBAN n'est pas valide : vérifiez-le sur votre relevé d'identité bancaire.",
        ),
    ],
)
def test_a_bad_identifier_is_refused_with_a_french_message_and_nothing_is_saved(field, value, code, message):
    with pytest.raises(services.ProviderError) as refused:
        services.apply_for_referencing(application=application(**{field: value}), now=NOW)

    assert refused.value.problems == [Problem(message, field, code)]
    assert Provider.objects.count() == 0
    assert ProviderTransition.objects.count() == 0


def test_a_second_application_with_the_same_siret_is_refused():
    services.apply_for_referencing(application=application(), now=NOW)

    with pytest.raises(services.ProviderError) as refused:
        services.apply_for_referencing(application=application(legal_name="Autre"), now=NOW)

    assert refused.value.by_field() == {"siret": ["Un organisme est déjà enregistré avec ce SIRET."]}
    assert refused.value.problems[0].code == "siret_taken"
    assert Provider.objects.count() == 1


def test_a_complete_application_is_referenced_and_the_transition_logged(admin_user):
    provider = ProviderFactory(applying=True)

    services.reference_provider(provider=provider, actor=admin_user, now=NOW)

    provider.refresh_from_db()
    assert provider.status == ProviderStatus.REFERENCED
    last = provider.transitions.last()
    assert (last.from_status, last.to_status, last.actor, last.at) == (
        "applying",
        "referenced",
        admin_user,
        NOW,
    )


def test_referencing_lists_every_missing_requirement_and_changes_nothing():
    provider = ProviderFactory(
        applying=True, nda="", iban="", qualiopi_valid_until=datetime.date(2026, 6, 30)
    )

    with pytest.raises(services.NotReferenceable) as refused:
        services.reference_provider(provider=provider, actor=None, now=NOW)

    assert refused.value.messages == [
        "Le numéro de déclaration d'activité est manquant.",
        "Les coordonnées bancaires (IBAN) sont manquantes ou ont été rejetées.",
        "Le certificat Qualiopi n'est pas valide à cette date.",
    ]
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.APPLYING
    assert provider.transitions.count() == 0


def test_a_qualiopi_certificate_valid_from_today_in_france_counts_after_midnight_there():
    # given a certificate valid from 1 December: 30 November 23:30 UTC is already 1 December in Paris
    provider = ProviderFactory(applying=True, qualiopi_valid_from=datetime.date(2026, 12, 1))
    just_after_midnight_in_paris = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC)

    services.reference_provider(provider=provider, actor=None, now=just_after_midnight_in_paris)

    provider.refresh_from_db()
    assert provider.status == ProviderStatus.REFERENCED


def test_suspension_needs_a_reason():
    provider = ProviderFactory()

    with pytest.raises(services.ProviderError) as refused:
        services.suspend_provider(provider=provider, actor=None, reason="  ", now=NOW)

    assert refused.value.messages == ["Le motif est obligatoire."]
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.REFERENCED


def test_a_transition_outside_the_table_is_refused():
    provider = ProviderFactory(applying=True)

    with pytest.raises(services.TransitionNotAllowed) as refused:
        services.suspend_provider(provider=provider, actor=None, reason="Contrôle", now=NOW)

    assert refused.value.messages == [
        "Impossible de passer du statut « candidature en cours » à « paiements suspendus »."
    ]


def test_temporary_delisting_is_limited_to_six_months():
    provider = ProviderFactory()

    with pytest.raises(services.ProviderError):
        services.delist_provider(
            provider=provider, actor=None, reason="Fraude", now=NOW, until=datetime.date(2027, 6, 1)
        )
    services.delist_provider(
        provider=provider, actor=None, reason="Fraude", now=NOW, until=datetime.date(2027, 5, 27)
    )

    provider.refresh_from_db()
    assert (provider.status, provider.delisted_until) == ("delisted", datetime.date(2027, 5, 27))


def test_lapsed_temporary_delistings_end_and_definitive_ones_stay():
    temporary = ProviderFactory()
    definitive = ProviderFactory()
    services.delist_provider(
        provider=temporary, actor=None, reason="Sanction", now=NOW, until=datetime.date(2026, 12, 31)
    )
    services.delist_provider(provider=definitive, actor=None, reason="Sanction", now=NOW)

    count = services.end_lapsed_delistings(today=datetime.date(2027, 1, 1), now=NOW)

    temporary.refresh_from_db()
    definitive.refresh_from_db()
    assert count == 1
    assert (temporary.status, temporary.delisted_until) == ("referenced", None)
    assert definitive.status == "delisted"


def test_luhn_helper_builds_valid_sirets():
    from stdnum.fr import siret

    assert siret.is_valid(luhn_complete("7328293200007"))
