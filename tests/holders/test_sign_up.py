"""Sign-up (rule 27): the login of the account a NIR names, the e-mail that confirms it, the
identity typed checked against the declared one, and every other outcome leaving nothing behind
but the e-mails that tell the owners of the addresses concerned (docs/adr/0008)."""

from __future__ import annotations

import dataclasses
import datetime
import re
import threading

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.db import connection
from django.utils.http import urlsafe_base64_decode
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.accounts.enums import UserKind
from cpf.accounts.tokens import email_confirmation_token as activation_token
from cpf.holders import services
from cpf.holders.models import Holder, TermsAcceptance
from cpf.holders.nir import parse_nir
from cpf.holders.services import SignUpOutcome
from tests.holders.factories import (
    NIR,
    NOW,
    OTHER_NIR,
    PASSWORD,
    HolderFactory,
    TermsVersionFactory,
    holder_with_login,
    make_nir,
)

SITE = "http://testserver/"
BORN = datetime.date(1985, 5, 14)  # NIR: a man born in May 1985
SENT_ON = "Le 27/11/2026 à 11:00"  # NOW, in Paris
# the e-mails are jobs of the worker (procrastinate), flushed after the test with the rest
CONCURRENT_APPS = ["cpf.holders", "cpf.accounts", "procrastinate.contrib.django"]


def user_from_uid(uidb64: str):
    """The login a link's ``uidb64`` names."""
    return get_user_model().objects.get(pk=int(urlsafe_base64_decode(uidb64)))


@pytest.fixture
def terms(db):
    """The terms in force at the tests' clock (NOW), published a month before."""
    return TermsVersionFactory(in_force_from=NOW.date() - datetime.timedelta(days=30))


def application(terms, **overrides) -> services.SignUpApplication:
    values = {
        "nir": parse_nir(NIR),
        "sex": "1",
        "birth_name": "MARTIN",
        "first_names": "Camille Jean",
        "birth_date": BORN,
        "email": "camille.martin@example.fr",
        "password": PASSWORD,
        "accepted_terms": terms,
    }
    return services.SignUpApplication(**{**values, **overrides})


def declared(nir: str = NIR, birth_name: str = "MARTIN", first_names: str = "Camille Jean") -> Holder:
    """An account an employer's declaration opened, with the identity it declared."""
    return HolderFactory(nir=nir, birth_name=birth_name, first_names=first_names, birth_date=BORN)


def sign_up(app: services.SignUpApplication, *, now: datetime.datetime = NOW) -> services.SignUpResult:
    return services.sign_up(application=app, now=now, site_url=SITE)


def state() -> tuple[int, int, int, list[tuple[str, str, datetime.date | None]]]:
    """What a sign-up that creates nothing must leave untouched."""
    return (
        Holder.objects.count(),
        get_user_model().objects.count(),
        TermsAcceptance.objects.count(),
        list(Holder.objects.order_by("pk").values_list("birth_name", "first_names", "birth_date")),
    )


def email_jobs() -> int:
    """The e-mails written for the worker to send (sent or not yet)."""
    return ProcrastinateJob.objects.filter(queue_name="emails").count()


def sent() -> list[tuple[list[str], str]]:
    return [(message.to, message.subject) for message in mail.outbox]


def link(body: str, path: str) -> tuple[str, str]:
    """The (uidb64, token) of the link to ``path`` in an e-mail."""
    found = re.search(rf"http://testserver{path}(\S+)/(\S+)/", body)
    assert found is not None, body
    return found.group(1), found.group(2)


ACTIVATION = "Confirmez votre adresse e-mail – Compte Formation"
ATTEMPT = "Tentative de création d'un accès avec votre numéro – Compte Formation"
ADDRESS_USED = "Un accès existe déjà avec votre adresse e-mail – Compte Formation"
NOT_COMPLETED = "Votre accès n'a pas pu être créé – Compte Formation"


# Signing up


@pytest.mark.django_db
def test_signing_up_gives_a_login_to_the_account_the_declarations_opened(terms, deliver_emails):
    # given an account opened by an employer's declaration that gave no identity
    opened = HolderFactory(nir=NIR)

    # when the person signs up with that NIR
    result = sign_up(application(terms))
    deliver_emails()

    # then the same account gets an inactive login, the identity typed, and the terms accepted
    holder = result.holder
    assert (result.outcome, holder.pk, Holder.objects.count()) == (SignUpOutcome.SIGNED_UP, opened.pk, 1)
    user = holder.user
    assert (user.username, user.email, user.is_active, user.kind) == (
        f"titulaire-{holder.pk}",
        "camille.martin@example.fr",
        False,
        UserKind.HOLDER,
    )
    assert user.check_password(PASSWORD)
    assert (holder.birth_name, holder.first_names, holder.birth_date) == ("MARTIN", "Camille Jean", BORN)
    assert holder.email_confirmed_at is None
    assert list(holder.terms_acceptances.values_list("terms", "accepted_at")) == [(terms.pk, NOW)]
    # and one e-mail carries the activation link
    assert sent() == [(["camille.martin@example.fr"], ACTIVATION)]
    body = mail.outbox[0].body
    assert "Bonjour Camille Jean," in body
    uidb64, token = link(body, "/compte/activation/")
    assert user_from_uid(uidb64) == user
    assert activation_token.check_token(user, token)


@pytest.mark.django_db
def test_signing_up_without_any_declaration_opens_an_empty_account(terms):
    result = sign_up(application(terms))

    assert result.outcome == SignUpOutcome.SIGNED_UP
    assert Holder.objects.get().pk == result.holder.pk
    assert result.holder.nir.value == NIR


@pytest.mark.django_db
def test_the_activation_link_confirms_the_address_once(terms):
    holder = sign_up(application(terms)).holder
    token = activation_token.make_token(holder.user)

    confirmed = services.confirm_email(holder=holder, now=NOW)
    holder.refresh_from_db()
    holder.user.refresh_from_db()

    assert confirmed is True
    assert holder.email_confirmed_at == NOW
    assert holder.user.is_active is True
    assert activation_token.check_token(holder.user, token) is False  # spent
    assert services.confirm_email(holder=holder, now=NOW + datetime.timedelta(days=1)) is False
    holder.refresh_from_db()
    assert holder.email_confirmed_at == NOW


# What the person typed must hold together: said on the form, nothing written, nothing sent


@pytest.mark.parametrize(
    ("overrides", "field", "messages"),
    [
        (
            {"birth_date": datetime.date(1986, 5, 14)},
            "nir",
            [
                "L'année de naissance du numéro de sécurité sociale ne correspond pas "
                "à votre date de naissance."
            ],
        ),
        (
            {"birth_date": datetime.date(1985, 6, 14)},
            "nir",
            [
                "Le mois de naissance du numéro de sécurité sociale ne correspond pas "
                "à votre date de naissance."
            ],
        ),
        (
            {"sex": "2"},
            "nir",
            ["Le premier chiffre du numéro de sécurité sociale ne correspond pas au sexe indiqué."],
        ),
        (
            {"password": "formation2026"},
            "password",
            ["Le mot de passe doit contenir une lettre majuscule."],
        ),
        (
            {"password": "Court1"},
            "password",
            [
                "Ce mot de passe est trop court. Il doit contenir au minimum 8 caractères.",
                "Le mot de passe doit contenir au moins 8 caractères.",
            ],
        ),
        (
            {"password": "Martin12345"},
            "password",
            ["Le mot de passe est trop semblable au champ «\u00a0nom\u00a0»."],
        ),
        (
            {"accepted_terms": None},
            "accept_terms",
            ["Vous devez accepter les conditions d'utilisation pour créer votre accès."],
        ),
        (
            {"birth_date": datetime.date(2040, 5, 14)},
            "birth_date",
            ["La date de naissance ne peut pas être dans le futur."],
        ),
    ],
)
@pytest.mark.django_db
def test_a_refused_sign_up_says_why_and_changes_nothing(terms, overrides, field, messages, deliver_emails):
    HolderFactory(nir=NIR)
    before = state()

    with pytest.raises(services.SignUpRefused) as refused:
        sign_up(application(terms, **overrides))
    deliver_emails()

    assert refused.value.by_field()[field] == messages
    assert state() == before
    assert Holder.objects.get().user is None
    assert email_jobs() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_person_too_young_for_an_account_is_refused(terms):
    # Rule 6: the account opens at 16 (15 for apprentices). Born in May 2012: 14 in November 2026.
    young = dataclasses.replace(
        application(terms),
        nir=parse_nir(make_nir(birth=datetime.date(2012, 5, 1))),
        birth_date=datetime.date(2012, 5, 1),
    )

    with pytest.raises(services.SignUpRefused) as refused:
        sign_up(young)

    assert refused.value.by_field() == {
        "birth_date": ["Le compte personnel de formation s'ouvre à 16 ans (15 ans pour les apprentis)."]
    }
    assert refused.value.problems[0].code == "too_young"
    assert Holder.objects.count() == 0


@pytest.mark.django_db
def test_terms_replaced_while_the_person_was_typing_must_be_read_again(terms):
    newer = TermsVersionFactory(in_force_from=NOW.date())
    before = state()

    with pytest.raises(services.SignUpRefused) as refused:
        sign_up(application(terms))

    assert refused.value.by_field() == {"accept_terms": [services.TERMS_CHANGED]}
    assert refused.value.problems[0].code == "terms_changed"
    assert state() == before
    assert sign_up(application(newer)).outcome == SignUpOutcome.SIGNED_UP


# The identity the declarations give


@pytest.mark.parametrize(
    ("birth_name", "first_names"),
    [("MARTIN", "Camille"), ("Martin", "camille jean"), ("martin", "Jean"), ("MARTIN", "Jean Camille")],
)
@pytest.mark.django_db
def test_the_declared_identity_signs_up_however_it_is_written(terms, birth_name, first_names):
    # given an account whose declarations give the identity MARTIN Camille Jean, born 14/05/1985
    holder = declared()

    # when the person types it in their own way
    result = sign_up(application(terms, birth_name=birth_name, first_names=first_names))

    # then the login is created, and the account keeps the declared identity
    assert (result.outcome, result.holder.pk) == (SignUpOutcome.SIGNED_UP, holder.pk)
    holder.refresh_from_db()
    assert holder.user is not None
    assert (holder.birth_name, holder.first_names, holder.birth_date) == ("MARTIN", "Camille Jean", BORN)


@pytest.mark.parametrize(
    "overrides",
    [
        {"birth_name": "MARTINEZ"},
        {"birth_name": "DURAND", "password": "Formation2026!"},
        {"first_names": "Claude"},
        {"first_names": "Camille-Jean"},
        {"birth_date": datetime.date(1985, 5, 15)},
    ],
)
@pytest.mark.django_db
def test_an_identity_other_than_the_declared_one_creates_nothing_and_is_told_by_e_mail_only(
    terms, overrides, deliver_emails
):
    # given an account whose declarations give the identity MARTIN Camille Jean, born 14/05/1985
    declared()
    before = state()

    # when someone signs up with that NIR and another identity
    result = sign_up(application(terms, email="quelquun@example.fr", **overrides))
    deliver_emails()

    # then nothing is written; the address typed is told the access could not be created,
    # without saying what differed
    assert result.outcome == SignUpOutcome.IDENTITY_MISMATCH
    assert state() == before
    assert sent() == [(["quelquun@example.fr"], NOT_COMPLETED)]
    body = mail.outbox[0].body
    for revealing in ("MARTIN", "Camille", "14/05/1985", "1985", NIR[:5]):
        assert revealing not in body


@pytest.mark.django_db
def test_the_e_mail_after_a_wrong_identity_is_word_for_word_the_one_after_a_number_already_taken(
    terms, deliver_emails
):
    # given one account with a declared identity, and another with a login
    declared()
    holder_with_login(nir=OTHER_NIR, email="deja@example.fr", accepted=terms)

    # when one person types a wrong identity, and another the number already signed up
    sign_up(application(terms, birth_name="DURAND", email="un@example.fr"))
    deliver_emails()
    sign_up(
        application(
            terms,
            nir=parse_nir(OTHER_NIR),
            sex="2",
            birth_date=datetime.date(1990, 12, 3),
            email="deux@example.fr",
        )
    )
    deliver_emails()

    # then the two addresses typed read the same e-mail
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"un@example.fr", "deux@example.fr", "deja@example.fr"}
    assert by_address["un@example.fr"].subject == by_address["deux@example.fr"].subject == NOT_COMPLETED
    assert by_address["un@example.fr"].body == by_address["deux@example.fr"].body


@pytest.mark.django_db
def test_the_e_mail_of_an_access_not_created_says_what_may_have_happened(terms, deliver_emails):
    declared()

    sign_up(application(terms, birth_name="DURAND"))
    deliver_emails()

    assert mail.outbox[0].body == (
        "Bonjour,\n\n"
        f"{SENT_ON}, vous avez demandé à créer un accès à Compte Formation\n"
        "avec cette adresse e-mail. Nous n'avons pas pu le créer. Pour protéger les comptes de chacun,\n"
        "nous ne pouvons pas vous dire lequel de ces cas s'applique :\n\n"
        "- Le nom de naissance, le prénom ou la date de naissance saisis ne sont pas ceux que nous\n"
        "  connaissons pour ce numéro de sécurité sociale (transmis par vos employeurs). Vérifiez-les\n"
        "  tels qu'ils sont inscrits à l'état civil : le nom de naissance (et non le nom d'usage), votre\n"
        "  premier prénom, la date de naissance, puis recommencez :\n\n"
        "  http://testserver/compte/inscription/\n\n"
        "- Un accès existe déjà pour ce numéro de sécurité sociale : son titulaire vient d'en être\n"
        "  prévenu à l'adresse e-mail de cet accès. Si c'est vous, connectez-vous ou choisissez\n"
        "  « Mot de passe oublié » :\n\n"
        "  http://testserver/compte/mot-de-passe/oublie/\n\n"
        "- Vous avez commencé une inscription avec une autre adresse e-mail il y a moins de\n"
        "  3 jours : ouvrez le lien d'activation reçu à cette adresse, ou recommencez\n"
        "  après ce délai.\n\n"
        "Si vos informations sont exactes et qu'aucun de ces cas ne vous concerne, contactez\n"
        "l'assistance de Compte Formation : quelqu'un a peut-être utilisé votre numéro.\n\n"
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n\n"
        "L'équipe Compte Formation\n"
    )


# A NIR that already has a login


@pytest.mark.django_db
def test_a_second_sign_up_with_the_same_nir_creates_nothing_and_warns_the_owner(terms, deliver_emails):
    # given a holder who signed up and confirmed the address
    first = holder_with_login(accepted=terms)
    before = state()

    # when someone signs up with that NIR and another address
    result = sign_up(application(terms, email="autre@example.fr", password="Autrechose2026"))
    deliver_emails()

    # then nothing changed
    assert (result.outcome, result.holder.pk) == (SignUpOutcome.ALREADY_SIGNED_UP, first.pk)
    assert state() == before
    first.refresh_from_db()
    assert first.user.email == "camille.martin@example.fr"
    assert first.user.check_password(PASSWORD)
    # and the owner is told at the login's address, with a way back in; the address typed is
    # told the access could not be created
    assert sent() == [(["camille.martin@example.fr"], ATTEMPT), (["autre@example.fr"], NOT_COMPLETED)]
    notice = mail.outbox[0].body
    assert notice.startswith(
        "Bonjour Camille,\n\n"
        f"{SENT_ON}, quelqu'un a demandé à créer un accès à Compte Formation\n"
        "avec votre numéro de sécurité sociale. Aucun nouvel accès n'a été créé : votre compte et vos\n"
        "droits n'ont pas changé.\n"
    )
    assert "http://testserver/compte/connexion/" in notice
    uidb64, token = link(notice, "/compte/mot-de-passe/nouveau/")
    assert default_token_generator.check_token(user_from_uid(uidb64), token)
    assert "Si ce n'était pas vous, vous n'avez rien à faire." in notice


@pytest.mark.django_db
def test_the_owner_signing_up_again_with_the_same_address_gets_one_e_mail(terms, deliver_emails):
    holder_with_login(email="Camille.Martin@example.fr", accepted=terms)

    result = sign_up(application(terms))
    deliver_emails()

    assert result.outcome == SignUpOutcome.ALREADY_SIGNED_UP
    assert sent() == [(["Camille.Martin@example.fr"], ATTEMPT)]


@pytest.mark.django_db
def test_a_sign_up_awaiting_confirmation_blocks_a_new_one_for_the_link_s_validity(terms, deliver_emails):
    # given a sign-up whose address was not confirmed yet, its activation link sent
    holder = sign_up(application(terms)).holder
    deliver_emails()
    before = state()

    # when someone signs up again the next day with another address
    result = sign_up(application(terms, email="autre@example.fr"), now=NOW + datetime.timedelta(days=1))
    deliver_emails()

    # then nothing changed; the pending address gets a new activation link, the one typed is told
    # the access could not be created
    assert result.outcome == SignUpOutcome.AWAITING_CONFIRMATION
    assert state() == before
    assert sent() == [
        (["camille.martin@example.fr"], ACTIVATION),  # the first sign-up's
        (["camille.martin@example.fr"], ATTEMPT),
        (["autre@example.fr"], NOT_COMPLETED),
    ]
    notice = mail.outbox[1].body
    assert "Votre accès attend encore la confirmation de votre adresse e-mail." in notice
    uidb64, token = link(notice, "/compte/activation/")
    assert activation_token.check_token(user_from_uid(uidb64), token)
    assert user_from_uid(uidb64) == holder.user


@pytest.mark.django_db
def test_signing_up_again_with_the_pending_address_sends_the_activation_link_again(terms, deliver_emails):
    sign_up(application(terms))
    deliver_emails()

    result = sign_up(
        application(terms, email="CAMILLE.martin@example.fr"), now=NOW + datetime.timedelta(hours=2)
    )
    deliver_emails()

    assert result.outcome == SignUpOutcome.AWAITING_CONFIRMATION
    # the first link, then the same address gets it again (and nothing else)
    assert sent() == [(["camille.martin@example.fr"], ACTIVATION)] * 2


@pytest.mark.django_db
def test_a_sign_up_never_confirmed_can_be_started_again_once_its_link_has_lapsed(
    terms, mailoutbox, deliver_emails
):
    # given a sign-up with a mistyped address, never confirmed
    first = sign_up(application(terms, email="erreur@exmple.fr")).holder
    deliver_emails()

    # when the person starts again four days later with the right address
    again = sign_up(application(terms), now=NOW + datetime.timedelta(days=4))
    deliver_emails()

    # then the same account and login now carry the new address, and a new link was sent there
    assert again.outcome == SignUpOutcome.SIGNED_UP
    assert (again.holder.pk, again.holder.user_id) == (first.pk, first.user_id)
    assert again.holder.user.email == "camille.martin@example.fr"
    assert not again.holder.user.is_active
    assert [message.to for message in mailoutbox] == [["erreur@exmple.fr"], ["camille.martin@example.fr"]]
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_a_sign_up_started_again_is_checked_against_the_identity_recorded(terms):
    # given a sign-up never confirmed, on an account no declaration gave an identity to
    sign_up(application(terms, email="erreur@exmple.fr"))
    before = state()

    # when a sign-up with another identity comes after the link lapsed
    result = sign_up(application(terms, birth_name="DURAND"), now=NOW + datetime.timedelta(days=4))

    # then the identity recorded by the first one is the one known
    assert result.outcome == SignUpOutcome.IDENTITY_MISMATCH
    assert state() == before


# An address that is another login's


@pytest.mark.django_db
def test_an_address_already_used_by_another_holder_creates_nothing_and_tells_that_address(
    terms, deliver_emails
):
    # given another holder's login with that address, in another case
    other = holder_with_login(nir=OTHER_NIR, email="Camille.Martin@example.fr", accepted=terms)
    declared()
    before = state()

    # when someone signs up with their own NIR and that address
    result = sign_up(application(terms))
    deliver_emails()

    # then nothing is created, and the owner of the address is told how to get back in
    assert result.outcome == SignUpOutcome.EMAIL_TAKEN
    assert state() == before
    assert sent() == [(["Camille.Martin@example.fr"], ADDRESS_USED)]
    body = mail.outbox[0].body
    assert "Aucun accès n'a été créé : un accès existe déjà avec cette adresse." in body
    uidb64, token = link(body, "/compte/mot-de-passe/nouveau/")
    assert user_from_uid(uidb64) == other.user
    assert default_token_generator.check_token(other.user, token)


@pytest.mark.django_db
def test_an_address_of_a_new_nir_already_used_opens_no_account(terms, deliver_emails):
    holder_with_login(nir=OTHER_NIR, email="camille.martin@example.fr", accepted=terms)

    result = sign_up(application(terms))
    deliver_emails()

    assert (result.outcome, result.holder) == (SignUpOutcome.EMAIL_TAKEN, None)
    assert Holder.objects.count() == 1
    assert sent() == [(["camille.martin@example.fr"], ADDRESS_USED)]


@pytest.mark.django_db
def test_a_professional_s_address_is_told_to_choose_another_for_a_personal_access(terms, deliver_emails):
    get_user_model().objects.create_user(
        username="formatrice",
        kind=UserKind.PROVIDER_MEMBER,
        email="camille.martin@example.fr",
        password=PASSWORD,
    )

    result = sign_up(application(terms))
    deliver_emails()

    assert result.outcome == SignUpOutcome.EMAIL_TAKEN
    assert sent() == [(["camille.martin@example.fr"], ADDRESS_USED)]
    body = mail.outbox[0].body
    assert "Cette adresse est celle d'un accès professionnel" in body
    assert "/compte/mot-de-passe/nouveau/" not in body
    assert Holder.objects.count() == 0


# Sign-ups at the same moment


def _sign_up_in_parallel(terms, emails: list[str]) -> list[SignUpOutcome]:
    outcomes: list[SignUpOutcome] = []
    barrier = threading.Barrier(len(emails))

    def run(email: str) -> None:
        barrier.wait()
        try:
            outcomes.append(sign_up(application(terms, email=email)).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True, available_apps=CONCURRENT_APPS)
def test_two_sign_ups_with_one_nir_at_the_same_moment_let_exactly_one_through():
    # given an account opened by a declaration and the terms in force
    terms = TermsVersionFactory(in_force_from=NOW.date())
    HolderFactory(nir=NIR)

    # when two people sign up with that NIR at once, on two connections
    outcomes = _sign_up_in_parallel(terms, ["un@example.fr", "deux@example.fr"])

    # then the row lock lets one through, and the other finds a sign-up awaiting confirmation
    assert sorted(outcomes) == [SignUpOutcome.AWAITING_CONFIRMATION, SignUpOutcome.SIGNED_UP]
    holder = Holder.objects.get()
    assert holder.user.email in {"un@example.fr", "deux@example.fr"}
    assert get_user_model().objects.count() == 1
    assert TermsAcceptance.objects.count() == 1
    # the activation link; the pending address told of the attempt, the other told no access
    assert email_jobs() == 3


@pytest.mark.django_db(transaction=True, available_apps=CONCURRENT_APPS)
def test_two_sign_ups_with_a_nir_no_declaration_named_yet_let_exactly_one_through():
    terms = TermsVersionFactory(in_force_from=NOW.date())

    outcomes = _sign_up_in_parallel(terms, ["un@example.fr", "deux@example.fr"])

    assert sorted(outcomes) == [SignUpOutcome.AWAITING_CONFIRMATION, SignUpOutcome.SIGNED_UP]
    assert Holder.objects.count() == 1
    assert get_user_model().objects.count() == 1
    assert email_jobs() == 3
