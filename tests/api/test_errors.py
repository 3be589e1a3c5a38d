"""The API answers its JSON errors everywhere under /api/ (cpf/api/middleware.py), as the
running site was attacked: an unknown path, a wrong method, a body over the size limit, on a
server with DEBUG on as well as off. Never an HTML page, never a traceback."""

from __future__ import annotations

import pytest
from django.conf import settings

from cpf.accounts.models import LoginAttemptCounter
from cpf.holders.models import ApiToken
from tests.api.calls import bearer, post_json
from tests.holders.factories import NIR, PASSWORD

pytestmark = pytest.mark.django_db

NOT_FOUND = {"errors": [{"field": "", "message": "Ressource introuvable."}]}
TOO_BIG = {
    "errors": [
        {"field": "", "message": "Le corps de la requête dépasse la taille maximale acceptée (2,5 Mo)."}
    ]
}


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    """The same answers with DEBUG on (a development server put online) as off."""
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize(
    "path", ["/api/v1/nulle-part", "/api/nulle-part", "/api/v1/me/", "/api/v1/me/droits/x"]
)
def test_an_unknown_api_path_gets_the_json_404(client, debug, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/api/v1/search", "GET"),
        ("get", "/api/v1/auth/token", "POST"),
        ("put", "/api/v1/me", "GET"),
        ("patch", "/api/v1/me/terms", "POST"),
    ],
)
def test_a_wrong_method_gets_the_json_405_with_the_methods_allowed(client, debug, method, path, allowed):
    response = getattr(client, method)(path)

    assert response.status_code == 405
    assert response["Allow"] == allowed
    assert response.json() == {
        "errors": [
            {
                "field": "",
                "message": f"La méthode {method.upper()} n'est pas acceptée à cette adresse "
                f"(méthodes acceptées : {allowed}).",
            }
        ]
    }


def test_a_body_over_the_limit_gets_the_json_413_and_changes_nothing(client, holder, debug):
    # a login whose body is one byte over the limit, the password included
    padding = "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = post_json(client, "/api/v1/auth/token", {"nir": NIR, "password": PASSWORD, "x": padding})

    assert response.status_code == 413
    assert response.json() == TOO_BIG
    assert ApiToken.objects.count() == 0
    assert LoginAttemptCounter.objects.count() == 0


def test_a_body_over_the_limit_with_a_token_gets_the_json_413(client, holder):
    body = '{"version": "' + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + '"}'

    response = client.post("/api/v1/me/terms", body, content_type="application/json", **bearer(holder))

    assert response.status_code == 413
    assert response.json() == TOO_BIG


def test_the_endpoints_own_errors_pass_untouched(client):
    response = post_json(client, "/api/v1/auth/token", {"nir": "123", "password": "x"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "nir"


def test_the_site_s_own_404_page_stays_html(client):
    response = client.get("/nulle-part")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
