"""A provider's webhook never makes the worker reach a non-public network, nor follow a
redirect (cpf/webhooks/delivery.py)."""

from __future__ import annotations

import http.server
import threading
import urllib.error
import urllib.request

import pytest

from cpf.webhooks.delivery import OPENER, refused_destination


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/events",
        "https://192.168.0.10/events",
        "https://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "https://[::1]/events",
        "https://100.64.0.1/events",
    ],
)
def test_an_address_of_a_non_public_network_is_refused(url):
    assert refused_destination(url).startswith("Adresse d'un réseau non public refusée")


def test_a_public_address_is_allowed():
    assert refused_destination("https://93.184.215.14/events") == ""


def test_the_local_host_is_allowed_only_where_the_setting_allows_it(settings):
    settings.PROVIDER_WEBHOOKS_ALLOW_LOCAL_HTTP = True
    allowed = refused_destination("http://127.0.0.1:8000/events")
    settings.PROVIDER_WEBHOOKS_ALLOW_LOCAL_HTTP = False
    refused = refused_destination("http://127.0.0.1:8000/events")

    assert (allowed, refused) == ("", "Adresse d'un réseau non public refusée (127.0.0.1).")


def test_a_redirect_is_not_followed():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{server.server_address[1]}/", data=b"{}")
        with pytest.raises(urllib.error.HTTPError) as answered:
            OPENER.open(request, timeout=5)
    finally:
        server.shutdown()
        server.server_close()

    answered.value.close()
    assert answered.value.code == 302
