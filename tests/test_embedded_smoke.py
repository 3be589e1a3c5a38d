"""The fresh-machine route: with no DATABASE_URL, the project runs on its embedded PostgreSQL.

CI runs this module with DATABASE_URL unset (see .ci/run); elsewhere it checks whichever
database is configured, which is still a useful smoke test of the home page."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.urls import reverse


@pytest.mark.django_db
def test_the_configured_database_is_postgresql_and_the_home_page_answers(client):
    # given the configured database
    assert connection.vendor == "postgresql"
    if not os.environ.get("DATABASE_URL"):
        # the embedded server listens on a unix socket in its data folder
        assert connection.settings_dict["HOST"].startswith("/")
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            assert cursor.fetchone()[0].startswith("16.")

    # when the home page is requested
    response = client.get(reverse("www:home"))

    # then it answers with the real figures from the referentials
    assert response.status_code == 200
    assert "Votre compte personnel de formation" in response.text
    assert response.context["figures"].communes > 34000
