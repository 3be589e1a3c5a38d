from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cpf.sandbox_psp.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_an_endpoint_is_registered_with_a_generated_secret_then_updated():
    out = io.StringIO()
    call_command("sandbox_psp_endpoint", "http://127.0.0.1:8000/paiements/webhooks", stdout=out)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == out.getvalue().strip() and endpoint.secret.startswith("whsec_")

    WebhookEndpoint.objects.update(is_active=False)
    call_command("sandbox_psp_endpoint", endpoint.url, secret="whsec_given", stdout=io.StringIO())

    assert WebhookEndpoint.objects.values_list("secret", "is_active").get() == ("whsec_given", True)
