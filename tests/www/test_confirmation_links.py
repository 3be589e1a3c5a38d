"""The links that confirm an address (holders' activation, members' confirmation) answer alike
whatever they name: an unknown login, a confirmed one, another audience's, a forged or spent
token all get the same page, so that a link tells nothing about the accounts (enumeration)."""

from __future__ import annotations

import pytest
from django.test import Client

from cpf.accounts.enums import UserKind
from cpf.accounts.models import User
from cpf.accounts.tokens import email_confirmation_token, encode_uid
from tests.accounts.factories import NOW, PASSWORD, member
from tests.holders.factories import holder_with_login, make_nir

pytestmark = pytest.mark.django_db

SPACES = {"holder": "/compte/activation/", "member": "/espace-pro/confirmation/"}


def unconfirmed(kind: UserKind, email: str) -> User:
    if kind == UserKind.HOLDER:
        serial = User.objects.filter(kind=UserKind.HOLDER).count() + 1
        return holder_with_login(nir=make_nir(serial=serial), email=email, active=False).user
    return User.objects.create_user(username=email, kind=kind, email=email, password=PASSWORD)


def bad_links(space: str) -> dict[str, str]:
    """Links that must all fail alike, each naming a login in a different state."""
    own_kind = UserKind.HOLDER if space == "holder" else UserKind.PROVIDER_MEMBER
    other_kind = UserKind.PROVIDER_MEMBER if space == "holder" else UserKind.HOLDER
    waiting = unconfirmed(own_kind, "attente@example.fr")
    confirmed = unconfirmed(own_kind, "confirme@example.fr")
    spent = email_confirmation_token.make_token(confirmed)
    User.objects.filter(pk=confirmed.pk).update(email_confirmed_at=NOW, is_active=True)
    other = unconfirmed(other_kind, "autre@example.fr")
    others_token = email_confirmation_token.make_token(other)
    prefix = SPACES[space]
    return {
        "unknown login": f"{prefix}{encode_uid(User(pk=999_999))}/{spent}/",
        "malformed id": f"{prefix}zzz/{spent}/",
        "confirmed login, its spent link": f"{prefix}{encode_uid(confirmed)}/{spent}/",
        "confirmed login, forged token": f"{prefix}{encode_uid(confirmed)}/abc-123/",
        "waiting login, forged token": f"{prefix}{encode_uid(waiting)}/abc-123/",
        "another audience's valid link": f"{prefix}{encode_uid(other)}/{others_token}/",
    }


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_link_that_does_not_work_gets_the_same_answer_and_confirms_nothing(space, method):
    links = bad_links(space)
    before = sorted(User.objects.values_list("pk", "is_active", "email_confirmed_at"))

    answers = {name: getattr(Client(), method)(path) for name, path in links.items()}

    assert {name: response.status_code for name, response in answers.items()} == dict.fromkeys(links, 400)
    assert len({response.content for response in answers.values()}) == 1
    assert "Ce lien n'est plus valide" in next(iter(answers.values())).text
    assert sorted(User.objects.values_list("pk", "is_active", "email_confirmed_at")) == before


def test_a_members_link_confirms_the_address_only(client):
    user = member(UserKind.PROVIDER_MEMBER, "equipe@organisme.example", active=False)
    path = f"/espace-pro/confirmation/{encode_uid(user)}/{email_confirmation_token.make_token(user)}/"

    client.post(path)

    user.refresh_from_db()
    assert user.email_confirmed_at is not None
    assert user.is_active is False  # a deactivated access stays deactivated
