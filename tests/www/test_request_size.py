"""A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` sent to a real server, as the running site was
attacked (it answered a 500 with a traceback): the API answers its JSON 413, the site a French
413 page, before reading the body, on both production servers."""

from __future__ import annotations

import json
import re

import pytest

from cpf.accounts.models import LoginAttemptCounter
from tests.servers import TEST_ENV, post_oversized, request, running

SIZE = 10 * 1024 * 1024  # four times the limit


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_a_body_over_the_limit_gets_413_from_the_api_and_the_site(server, tmp_path):
    with running(server, TEST_ENV, tmp_path / f"{server}.log") as port:
        # the API's token login
        api = post_oversized(port, "/api/v1/auth/token", SIZE, {"Content-Type": "application/json"})
        # the site's login form, sent with its CSRF cookie, as a browser would
        _, headers, _ = request("GET", port, "/compte/connexion/")
        csrf = re.search(r"csrftoken=([^;]+)", headers["set-cookie"]).group(1)
        site = post_oversized(
            port,
            "/compte/connexion/",
            SIZE,
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"},
        )

    status, headers, body = api
    assert (status, headers["content-type"]) == (413, "application/json; charset=utf-8")
    assert json.loads(body) == {
        "errors": [
            {"field": "", "message": "Le corps de la requête dépasse la taille maximale acceptée (2,5 Mo)."}
        ]
    }
    status, headers, body = site
    assert (status, headers["content-type"]) == (413, "text/html; charset=utf-8")
    assert "Ce que vous avez envoyé dépasse la taille maximale acceptée (2,5 Mo)" in body.decode()
    assert LoginAttemptCounter.objects.count() == 0
