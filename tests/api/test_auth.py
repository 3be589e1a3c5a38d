"""Token login of the mobile app (POST /api/v1/auth/token, /auth/logout): the same checks and
the same lock-out as the site; tokens stored hashed, expiring, revocable."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core import mail

from cpf.accounts.enums import LoginCounterScope
from cpf.accounts.models import LoginAttemptCounter
from cpf.holders.models import ApiToken, hash_api_token
from tests.api.calls import post_json
from tests.clock import NOW
from tests.holders.factories import NIR, OTHER_NIR, PASSWORD, holder_with_login, spaced

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"


def log_in(client, nir: str = NIR, password: str = PASSWORD):
    return post_json(client, TOKEN, {"nir": nir, "password": password})


def test_a_holder_gets_a_bearer_token_stored_only_as_a_hash(client, holder):
    response = log_in(client, nir=spaced(NIR))

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    token = ApiToken.objects.get()
    assert token.holder == holder
    assert token.key_hash == hash_api_token(body["access_token"])
    assert body["access_token"] not in token.key_hash
    assert token.expires_at - token.created_at == datetime.timedelta(days=30)
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {body['access_token']}").status_code == 200


@pytest.mark.parametrize(("nir", "password"), [(NIR, "Mauvais2026"), (OTHER_NIR, PASSWORD)])
def test_a_wrong_pair_gets_401_and_no_token(client, holder, nir, password):
    response = log_in(client, nir=nir, password=password)

    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {
                "field": "",
                "code": "invalid_credentials",
                "message": "Numéro de sécurité sociale ou mot de passe incorrect.",
            }
        ]
    }
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "status", "errors"),
    [
        (
            {"nir": "123", "password": PASSWORD},
            422,
            [
                {
                    "field": "nir",
                    "code": "invalid_nir",
                    "message": "Le numéro de sécurité sociale compte 15 caractères (clé comprise).",
                }
            ],
        ),
        (
            {"nir": NIR[:13] + "00", "password": PASSWORD},
            422,
            [
                {
                    "field": "nir",
                    "code": "invalid_nir",
                    "message": "La clé de contrôle ne correspond pas au numéro : vérifiez les 15 caractères.",
                }
            ],
        ),
        ({"nir": NIR}, 422, [{"field": "password", "message": "Ce champ est obligatoire."}]),
        ({"nir": ["x"], "password": 3}, 422, None),
        ({"nir": "1" * 5000, "password": PASSWORD}, 422, None),
    ],
)
def test_bad_input_gets_a_structured_error_never_a_500(client, holder, payload, status, errors):
    response = log_in(client) if payload is None else post_json(client, TOKEN, payload)

    assert response.status_code == status
    if errors is not None:
        assert response.json() == {"errors": errors}
    else:
        assert response.json()["errors"]
    assert ApiToken.objects.count() == 0
    assert LoginAttemptCounter.objects.count() == 0


@pytest.mark.parametrize("body", ["{not json", "", "[]", "null"])
def test_a_body_that_is_not_the_expected_json_is_refused_cleanly(client, body):
    response = client.post(TOKEN, body, content_type="application/json")

    assert response.status_code in {400, 422}
    assert response.json()["errors"]


def test_the_token_login_shares_the_lock_out_of_the_site(client, holder):
    # given four failures on the site
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        client.post("/compte/connexion/", {"nir": NIR, "password": "Mauvais2026"})

    # when the app fails once more, then tries the right password
    fifth = log_in(client, password="Mauvais2026")
    right = log_in(client)

    # then both get 429 with the French message and its way out
    assert fifth.status_code == right.status_code == 429
    message = right.json()["errors"][0]["message"]
    assert message.startswith("Trop de tentatives de connexion ont échoué")
    assert "réinitialisez votre mot de passe" in message
    assert ApiToken.objects.count() == 0
    assert LoginAttemptCounter.objects.get(scope=LoginCounterScope.ACCOUNT).account_key == holder.nir_hash


def test_a_login_whose_address_is_not_confirmed_gets_403_and_a_new_link(client, terms, deliver_emails):
    holder_with_login(active=False, accepted=terms)

    response = log_in(client)
    deliver_emails()

    assert response.status_code == 403
    assert response.json()["errors"][0]["message"].startswith(
        "Votre adresse e-mail n'est pas encore confirmée."
    )
    assert len(mail.outbox) == 1
    assert ApiToken.objects.count() == 0


def test_logout_revokes_the_token(client, holder):
    raw = log_in(client).json()["access_token"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    response = client.post(LOGOUT, **headers)

    assert response.status_code == 204
    assert ApiToken.objects.get().revoked_at is not None
    assert client.get(ME, **headers).status_code == 401
    assert client.post(LOGOUT, **headers).status_code == 401


def test_an_expired_token_no_longer_works(client, holder):
    raw = log_in(client).json()["access_token"]
    past = NOW - datetime.timedelta(days=31)
    ApiToken.objects.update(created_at=past, expires_at=past + datetime.timedelta(days=30))

    response = client.get(ME, HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 401
    assert response.json() == {"errors": [{"field": "", "message": "Authentification requise."}]}


def test_a_token_of_a_login_an_agent_deactivated_no_longer_works(client, holder):
    raw = log_in(client).json()["access_token"]
    holder.user.is_active = False
    holder.user.save()

    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Bearer inconnu",
        "Basic dXNlcjpwYXNz",
        "Bearer " + "x" * 5000,
        "Bearer é\u00e9",
    ],
)
def test_a_missing_or_unknown_token_gets_401(client, holder, header):
    response = client.get(ME, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "Authentification requise."
