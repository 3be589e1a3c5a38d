"""Headers every response carries, seen from outside through the whole middleware stack: a
strict Content-Security-Policy on every page, with pages that need nothing beyond it (no
inline script or style, nothing from another origin), and ``Cache-Control: no-store`` on
everything personal while the public search keeps its caching."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.core.mail import send_later
from tests.api.calls import bearer, post_json
from tests.holders.factories import NIR, PASSWORD, holder_with_login
from tests.holders.fixtures import *  # noqa: F403
from tests.search.fixtures import *  # noqa: F403
from tests.search.fixtures import offer

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(response) -> dict[str, str]:
    directives = response["Content-Security-Policy"].split(";")
    return dict(directive.strip().split(" ", 1) for directive in directives)


class ContentSecurityAudit(HTMLParser):
    """What a browser would refuse under the policy, read from the HTML: inline scripts and
    event handlers, inline styles, resources from another origin."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []
        self._in_script_without_src = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script":
            runs = values.get("type", "text/javascript") in {"text/javascript", "module"}
            self._in_script_without_src = runs and not values.get("src")
        if tag == "style":
            self.refused.append("<style> element")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.refused.append(f"{tag} {name}={value!r}")
            # A link (<a href>) to another site is a navigation, which the policy leaves free;
            # what a page loads (scripts, styles, images, frames) and where forms go are not.
            loads = not (tag == "a" and name == "href")
            if loads and name in {"src", "href", "action", "srcset", "data"} and value and _elsewhere(value):
                self.refused.append(f"{tag} {name}={value!r}")

    def handle_data(self, data):
        if self._in_script_without_src and data.strip():
            self.refused.append(f"inline script {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script_without_src = False


def _elsewhere(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"mailto", "tel"}:
        return False
    return bool(parts.scheme or parts.netloc) and parts.netloc != "testserver"


def refused_by_the_policy(response) -> list[str]:
    audit = ContentSecurityAudit()
    audit.feed(response.content.decode())
    return audit.refused


@pytest.fixture
def training(search_index):
    action = offer(title="Titre professionnel Développeur web")
    search_index()
    return action.training


@pytest.fixture
def job(db):
    send_later(subject="Objet", body="Corps", to=["camille@example.fr"])
    # The newest: procrastinate's tables are unmanaged, so a transactional test run earlier in
    # the same process may have left jobs there (flushing skips them).
    return ProcrastinateJob.objects.latest("id")


PUBLIC_PAGES = [
    "/",
    "/recherche",
    "/recherche?q=d%C3%A9veloppeur",
    "/compte/connexion/",
    "/compte/inscription/",
]
PUBLIC_PAGES += [
    "/compte/mot-de-passe/oublie/",
    "/compte/conditions-utilisation/",
    "/admin/login/",
    "/api/v1/docs",
    "/mentions-legales",
    "/accessibilite",
    "/contact",
    "/aide",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_has_the_policy_and_needs_nothing_beyond_it(client, terms, training, path):
    response = client.get(path)

    assert response.status_code == 200
    assert policy(response) == POLICY
    assert refused_by_the_policy(response) == []


def test_the_training_page_needs_nothing_beyond_the_policy(client, training):
    response = client.get(f"/formations/{training.pk}")

    assert response.status_code == 200
    assert refused_by_the_policy(response) == []


@pytest.mark.parametrize("path", ["/compte/", "/compte/droits/"])
def test_the_holder_s_pages_need_nothing_beyond_the_policy(client, terms, path):
    client.force_login(holder_with_login(accepted=terms).user)

    response = client.get(path)

    assert response.status_code == 200
    assert policy(response) == POLICY
    assert refused_by_the_policy(response) == []


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/procrastinate/procrastinatejob/",
        "/admin/procrastinate/procrastinatejob/{job}/change/",
    ],
)
def test_the_back_office_needs_nothing_beyond_the_policy(admin_client, job, path):
    response = admin_client.get(path.format(job=job.pk))

    assert response.status_code == 200
    assert policy(response) == POLICY
    assert refused_by_the_policy(response) == []


def test_the_api_docs_are_served_from_our_own_origin(client):
    response = client.get("/api/v1/docs")

    html = response.content.decode()
    assert '<script src="/static/ninja/swagger-ui-bundle.js"></script>' in html
    assert '<script src="/static/ninja/swagger-ui-init.js"></script>' in html
    assert '"url": "/api/v1/openapi.json"' in html
    assert '"validatorUrl": null' in html  # no call to swagger's online validator either
    assert "cdn" not in html.lower()
    assert refused_by_the_policy(response) == []


def test_the_api_docs_page_is_in_french_with_its_landmarks_and_no_third_party_address(client):
    html = client.get("/api/v1/docs").content.decode()

    assert '<html lang="fr">' in html
    assert "<h1>Documentation de l'API</h1>" in html.replace("&#x27;", "'")
    assert '<main id="contenu">' in html and '<div id="swagger-ui"></div>' in html
    assert '<script src="/static/www/api-docs.js"></script>' in html
    assert '"deepLinking": false' in html  # swagger-ui would put a link inside each operation's button
    # every script and style sheet is ours: the page works offline
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []


def test_a_form_sent_without_its_csrf_cookie_gets_a_french_page_within_the_policy(terms):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/compte/connexion/", {"nir": NIR, "password": PASSWORD})

    assert response.status_code == 403
    assert "<h1>Formulaire expiré</h1>" in response.content.decode()
    assert policy(response) == POLICY
    assert refused_by_the_policy(response) == []


# Cache-Control ---------------------------------------------------------------------------------


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize(
    "path", ["/", "/recherche?q=d%C3%A9veloppeur", "/api/v1/search?q=developpeur", "/api/v1/terms"]
)
def test_the_public_search_keeps_its_caching_for_anonymous_visitors(client, terms, training, path):
    response = client.get(path)

    assert response.status_code == 200
    assert "Cache-Control" not in response


@pytest.mark.parametrize(
    "path",
    [
        "/compte/connexion/",
        "/compte/inscription/",
        "/compte/droits/",
        "/financeurs/",
        "/admin/",
        "/api/v1/me",
    ],
)
def test_the_private_spaces_are_never_stored_even_for_an_anonymous_visitor(client, terms, path):
    response = client.get(path)

    assert no_store(response), (path, response.status_code, response.get("Cache-Control"))


def test_the_token_response_is_never_stored(client, terms):
    holder_with_login(accepted=terms)

    response = post_json(client, "/api/v1/auth/token", {"nir": NIR, "password": PASSWORD})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/recherche?q=d%C3%A9veloppeur", "/compte/", "/compte/droits/"])
def test_every_page_a_logged_in_holder_sees_is_never_stored(client, terms, training, path):
    client.force_login(holder_with_login(accepted=terms).user)

    response = client.get(path)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/me/rights", "/api/v1/search?q=developpeur"])
def test_every_answer_to_a_bearer_token_is_never_stored(client, terms, training, path):
    response = client.get(path, **bearer(holder_with_login(accepted=terms)))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_a_response_that_sets_a_cookie_is_never_stored(client, terms):
    # the sign-up page sets the CSRF cookie its form needs
    response = client.get("/compte/inscription/")

    assert "csrftoken" in response.cookies
    assert response["Cache-Control"] == "no-store"


def test_a_view_s_own_cache_control_is_kept(admin_client):
    # the admin marks its pages never_cache itself
    response = admin_client.get("/admin/")

    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_an_agent_s_session_counts_as_credentials_on_public_pages(client):
    agent = get_user_model().objects.create_user(
        username="agent", kind="agent", password="Formation2026", is_staff=True
    )
    client.force_login(agent)

    assert client.get("/")["Cache-Control"] == "no-store"


def test_an_api_answer_carries_the_policy_built_once_from_the_settings(client, settings, terms):
    first, again = client.get("/api/v1/jobs?q=boulanger"), client.get("/api/v1/jobs?q=boulanger")

    assert policy(first) == policy(again) == POLICY
    # A policy changed in the settings (a deployment's own) is the one answered.
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get("/api/v1/jobs?q=boulanger")["Content-Security-Policy"] == "default-src 'none'"


def test_a_view_that_changes_its_policy_keeps_its_change(rf):
    from csp.decorators import csp_update
    from django.http import HttpResponse

    from cpf.core.http import ContentSecurityPolicyMiddleware

    view = csp_update({"img-src": "https://tuiles.example"})(lambda request: HttpResponse("ok"))
    middleware = ContentSecurityPolicyMiddleware(view)

    plain = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("ok"))(rf.get("/"))
    changed = middleware(rf.get("/"))

    assert policy(plain) == POLICY
    assert policy(changed)["img-src"] == "'self' data: https://tuiles.example"
