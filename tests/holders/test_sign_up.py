"""Sign-up (rule 27): the login of the account a NIR names, the e-mail that confirms it, and
every refusal leaving nothing behind."""

from __future__ import annotations

import dataclasses
import datetime
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from cpf.accounts.tokens import email_confirmation_token as activation_token
from cpf.holders import services
from cpf.holders.models import Holder, TermsAcceptance
from cpf.holders.nir import parse_nir
from tests.holders.factories import NIR, NOW, PASSWORD, HolderFactory, TermsVersionFactory, holder_with_login

SITE = "http://testserver/"


def application(terms, **overrides) -> services.SignUpApplication:
    values = {
        "nir": parse_nir(NIR),
        "sex": "1",
        "birth_name": "MARTIN",
        "first_names": "Camille Jean",
        "birth_date": datetime.date(1985, 5, 14),
        "email": "camille.martin@example.fr",
        "password": PASSWORD,
        "accepted_terms": terms,
    }
    return services.SignUpApplication(**{**values, **overrides})


def state() -> tuple[int, int, int, int]:
    """What a refused sign-up must leave untouched."""
    return (
        Holder.objects.count(),
        get_user_model().objects.count(),
        TermsAcceptance.objects.count(),
        len(mail.outbox),
    )


@pytest.mark.django_db
def test_signing_up_gives_a_login_to_the_account_the_declarations_opened(
    terms, django_capture_on_commit_callbacks
):
    # given an account opened by an employer's declaration, without a login
    declared = HolderFactory(nir=NIR)

    # when the person signs up with that NIR
    with django_capture_on_commit_callbacks(execute=True):
        holder = services.sign_up(application=application(terms), now=NOW, site_url=SITE)

    # then the same account gets an inactive login, the identity, and the terms accepted
    assert holder.pk == declared.pk
    assert Holder.objects.count() == 1
    user = holder.user
    assert (user.username, user.email, user.is_active) == (
        f"titulaire-{holder.pk}",
        "camille.martin@example.fr",
        False,
    )
    assert user.check_password(PASSWORD)
    assert (holder.birth_name, holder.first_names, holder.birth_date) == (
        "MARTIN",
        "Camille Jean",
        datetime.date(1985, 5, 14),
    )
    assert holder.email_confirmed_at is None
    assert list(holder.terms_acceptances.values_list("terms", "accepted_at")) == [(terms.pk, NOW)]
    # and one e-mail carries the activation link
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["camille.martin@example.fr"]
    assert message.subject == "Confirmez votre adresse e-mail – Compte Formation"
    assert "Bonjour Camille Jean," in message.body
    assert "http://testserver/compte/activation/" in message.body


@pytest.mark.django_db
def test_signing_up_without_any_declaration_opens_an_empty_account(terms):
    holder = services.sign_up(application=application(terms), now=NOW, site_url=SITE)

    assert Holder.objects.get().pk == holder.pk
    assert holder.nir.value == NIR


@pytest.mark.django_db
def test_the_activation_link_confirms_the_address_once(terms):
    holder = services.sign_up(application=application(terms), now=NOW, site_url=SITE)
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
def test_a_refused_sign_up_says_why_and_changes_nothing(terms, overrides, field, messages):
    HolderFactory(nir=NIR)
    before = state()

    with pytest.raises(ValidationError) as refused:
        services.sign_up(application=application(terms, **overrides), now=NOW, site_url=SITE)

    assert refused.value.message_dict[field] == messages
    assert state() == before
    assert Holder.objects.get().user is None


@pytest.mark.django_db
def test_a_person_too_young_for_an_account_is_refused(terms):
    # Rule 6: the account opens at 16 (15 for apprentices). Born in May 2012: 14 in November 2026.
    young = dataclasses.replace(
        application(terms),
        nir=parse_nir(_nir_born(datetime.date(2012, 5, 1))),
        birth_date=datetime.date(2012, 5, 1),
    )

    with pytest.raises(ValidationError) as refused:
        services.sign_up(application=young, now=NOW, site_url=SITE)

    assert refused.value.message_dict == {
        "birth_date": ["Le compte personnel de formation s'ouvre à 16 ans (15 ans pour les apprentis)."]
    }
    assert Holder.objects.count() == 0


def _nir_born(birth: datetime.date) -> str:
    from tests.holders.factories import make_nir

    return make_nir(birth=birth)


@pytest.mark.django_db
def test_terms_replaced_while_the_person_was_typing_must_be_read_again(terms):
    newer = TermsVersionFactory()
    before = state()

    with pytest.raises(ValidationError) as refused:
        services.sign_up(application=application(terms), now=NOW, site_url=SITE)

    assert refused.value.message_dict == {"accept_terms": [services.TERMS_CHANGED]}
    assert state() == before
    assert services.sign_up(application=application(newer), now=NOW, site_url=SITE).user is not None


@pytest.mark.django_db
def test_a_second_sign_up_with_the_same_nir_is_refused(terms):
    first = holder_with_login(accepted=terms)
    before = state()

    with pytest.raises(ValidationError) as refused:
        services.sign_up(
            application=application(terms, email="autre@example.fr", password="Autrechose2026"),
            now=NOW,
            site_url=SITE,
        )

    assert refused.value.message_dict == {"nir": [services.ALREADY_SIGNED_UP]}
    assert state() == before
    first.refresh_from_db()
    assert first.user.email == "camille.martin@example.fr"


@pytest.mark.django_db
def test_a_sign_up_awaiting_confirmation_blocks_a_new_one_for_the_link_s_validity(terms):
    # given a sign-up whose address was not confirmed yet
    services.sign_up(application=application(terms), now=NOW, site_url=SITE)
    before = state()

    # when the person signs up again the next day with another address
    with pytest.raises(ValidationError) as refused:
        services.sign_up(
            application=application(terms, email="autre@example.fr"),
            now=NOW + datetime.timedelta(days=1),
            site_url=SITE,
        )

    # then they are told to use the link, and nothing changed
    assert refused.value.message_dict == {"nir": [services.SIGN_UP_PENDING]}
    assert state() == before


@pytest.mark.django_db
def test_a_sign_up_never_confirmed_can_be_started_again_once_its_link_has_lapsed(
    terms, mailoutbox, django_capture_on_commit_callbacks
):
    # given a sign-up with a mistyped address, never confirmed
    with django_capture_on_commit_callbacks(execute=True):
        first = services.sign_up(
            application=application(terms, email="erreur@exmple.fr"), now=NOW, site_url=SITE
        )

    # when the person starts again four days later with the right address
    with django_capture_on_commit_callbacks(execute=True):
        again = services.sign_up(
            application=application(terms, email="camille.martin@example.fr"),
            now=NOW + datetime.timedelta(days=4),
            site_url=SITE,
        )

    # then the same account and login now carry the new address, and a new link was sent there
    assert (again.pk, again.user_id) == (first.pk, first.user_id)
    assert again.user.email == "camille.martin@example.fr"
    assert not again.user.is_active
    assert [message.to for message in mailoutbox] == [["erreur@exmple.fr"], ["camille.martin@example.fr"]]
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_an_address_already_used_by_another_login_is_refused(terms):
    from tests.holders.factories import OTHER_NIR

    holder_with_login(nir=OTHER_NIR, email="Camille.Martin@example.fr", accepted=terms)
    before = state()

    with pytest.raises(ValidationError) as refused:
        services.sign_up(application=application(terms), now=NOW, site_url=SITE)

    assert refused.value.message_dict == {"email": [services.EMAIL_TAKEN]}
    assert state() == before


@pytest.mark.django_db(transaction=True, available_apps=["cpf.holders", "django.contrib.auth"])
def test_two_sign_ups_with_one_nir_at_the_same_moment_let_exactly_one_through():
    # given an account opened by a declaration and the terms in force
    terms = TermsVersionFactory()
    HolderFactory(nir=NIR)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def sign_up(email: str) -> None:
        barrier.wait()
        try:
            services.sign_up(application=application(terms, email=email), now=NOW, site_url=SITE)
            outcomes.append("signed up")
        except ValidationError as refused:
            outcomes.append(refused.message_dict["nir"][0])
        finally:
            connection.close()

    # when two people sign up with that NIR at once, on two connections
    threads = [
        threading.Thread(target=sign_up, args=(email,)) for email in ("un@example.fr", "deux@example.fr")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then the row lock lets one through, and the other is told a sign-up awaits confirmation
    assert sorted(outcomes) == sorted(["signed up", services.SIGN_UP_PENDING])
    holder = Holder.objects.get()
    assert holder.user.email in {"un@example.fr", "deux@example.fr"}
    assert get_user_model().objects.count() == 1
    assert TermsAcceptance.objects.count() == 1


@pytest.mark.django_db(transaction=True, available_apps=["cpf.holders", "django.contrib.auth"])
def test_two_sign_ups_with_a_nir_no_declaration_named_yet_let_exactly_one_through():
    terms = TermsVersionFactory()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def sign_up(email: str) -> None:
        barrier.wait()
        try:
            services.sign_up(application=application(terms, email=email), now=NOW, site_url=SITE)
            outcomes.append("signed up")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=sign_up, args=(email,)) for email in ("un@example.fr", "deux@example.fr")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "signed up"]
    assert Holder.objects.count() == 1
    assert get_user_model().objects.count() == 1
