"""factory_boy factories for the catalogue and providers, built on the real referentials that
every test database holds (see conftest.py)."""

from __future__ import annotations

import datetime

import factory
from schwifty import IBAN

from cpf.catalogue.enums import Modality, PublicationStatus, SessionStatus
from cpf.catalogue.models import Action, Session, Training
from cpf.providers.enums import BankDetailsStatus, ProviderStatus
from cpf.providers.models import BankDetails, Provider
from cpf.referentials.models import Certification, Commune


def luhn_complete(prefix: str) -> str:
    """Append the digit that makes ``prefix`` pass the Luhn check (SIRET key)."""
    for last in "0123456789":
        digits = [int(d) for d in prefix + last]
        total = 0
        for index, digit in enumerate(reversed(digits)):
            if index % 2 == 1:
                digit = digit * 2 - 9 if digit > 4 else digit * 2
            total += digit
        if total % 10 == 0:
            return prefix + last
    raise AssertionError("unreachable")


def real_commune(insee_code: str = "69383") -> Commune:
    return Commune.objects.filter(insee_code=insee_code).first()


BANK_DETAILS_SINCE = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)


class BankDetailsFactory(factory.django.DjangoModelFactory):
    """Bank details verified and in force since 2024 (a payments agent's verification, the
    waiting period over); ``submitted=True`` for details awaiting verification."""

    class Meta:
        model = BankDetails

    provider = factory.SubFactory("tests.factories.ProviderFactory", iban="")
    iban = factory.Sequence(
        lambda n: IBAN.generate("FR", bank_code="30004", account_code=f"{n:011d}").compact
    )
    bic = "BNPAFRPP"
    account_holder_name = factory.LazyAttribute(lambda details: details.provider.legal_name[:200])
    status = BankDetailsStatus.VERIFIED
    submitted_at = BANK_DETAILS_SINCE
    verified_at = BANK_DETAILS_SINCE
    effective_from = BANK_DETAILS_SINCE

    class Params:
        submitted = factory.Trait(status=BankDetailsStatus.SUBMITTED, verified_at=None, effective_from=None)


class ProviderFactory(factory.django.DjangoModelFactory):
    """A referenced provider with verified bank details (``iban=""``: without any)."""

    class Meta:
        model = Provider
        skip_postgeneration_save = True

    legal_name = factory.Sequence(lambda n: f"Organisme de formation n° {n}")
    siret = factory.Sequence(lambda n: luhn_complete(luhn_complete(f"{12345678 + n:08d}") + "0001"))
    nda = factory.Sequence(lambda n: f"{84000000000 + n:011d}")
    qualiopi_number = factory.Sequence(lambda n: f"QUALIOPI-{n:06d}")
    qualiopi_valid_from = datetime.date(2024, 1, 1)
    qualiopi_valid_until = datetime.date(2027, 12, 31)
    address = "12 rue de la République"
    commune = factory.LazyFunction(real_commune)
    email = factory.Sequence(lambda n: f"contact{n}@organisme.example")
    status = ProviderStatus.REFERENCED
    bank_details = factory.Maybe(
        "iban",
        yes_declaration=factory.RelatedFactory(
            BankDetailsFactory, factory_related_name="provider", iban=factory.SelfAttribute("..iban")
        ),
        no_declaration=None,
    )

    class Params:
        applying = factory.Trait(status=ProviderStatus.APPLYING)
        iban = factory.Sequence(
            lambda n: IBAN.generate("FR", bank_code="30004", account_code=f"{n:011d}").compact
        )


class TrainingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Training

    provider = factory.SubFactory(ProviderFactory)
    certification = factory.LazyFunction(lambda: Certification.objects.get(code="RNCP37674"))
    title = "Développeur web et web mobile"
    objectives = "Concevoir et développer des applications web sécurisées."
    content = "Front-end, back-end, bases de données, déploiement."
    expected_results = "Titre professionnel de niveau 5."
    status = PublicationStatus.DRAFT

    class Params:
        published = factory.Trait(
            status=PublicationStatus.PUBLISHED,
            published_at=factory.LazyFunction(lambda: datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)),
        )


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    training = factory.SubFactory(TrainingFactory)
    price_cents = 450_000
    duration_hours = 400
    modality = Modality.IN_PERSON
    commune = factory.LazyFunction(real_commune)
    address = "3 place Bellecour"
    prerequisites = "Niveau baccalauréat ou expérience équivalente."
    admission_terms = "Entretien et test de positionnement."

    class Params:
        remote = factory.Trait(modality=Modality.REMOTE, commune=None, address="")


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    action = factory.SubFactory(ActionFactory)
    start_date = datetime.date(2027, 3, 1)
    end_date = datetime.date(2027, 6, 30)
    seats = 12
    status = SessionStatus.OPEN
