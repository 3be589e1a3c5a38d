"""A booking from end to end, through HTTP only, on a live server: a declared person signs up
on the holder's pages and follows the e-mailed link, books a session through the API, the
provider answers and declares through its API with a key its administrator created on the
provider's space, the holder accepts with the one-time code e-mailed to them and pays the rest
by card with 3-D Secure on the sandbox's hosted pages, the real worker sends the e-mails and
delivers the provider's webhooks. The ledger is then reconciled and every balance is the one
rules 10 to 22 give.

What a person would find already there is prepared beforehand, not over HTTP: the catalogue
(a session of 2 400 €, 120 hours, from Monday 5 July to Thursday 30 September 2027), the
provider and its administrator, the terms of use, and the rights of 2025 credited from the
sample declarations (500 € for a full-time year). The clock starts at ``tests.clock.NOW`` and
is moved (time-machine, which the live server's threads share) to the session's days."""

from __future__ import annotations

import datetime
import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import pytest
from asgiref.sync import async_to_sync
from django.core import mail
from django.core.cache import cache
from django.db import connections
from procrastinate.contrib.django import app

from cpf.bookings.enums import PaymentState, RegistrationStatus
from cpf.bookings.models import CardRefundDue, Registration
from cpf.catalogue.models import Session
from cpf.holders.models import Holder
from cpf.ledger.enums import AccountKind
from cpf.ledger.models import Account, Entry, Transaction
from cpf.ledger.reconcile import reconcile
from cpf.payments.enums import PaymentStatus
from cpf.payments.models import Payment, Refund
from cpf.payments.tasks import send_refunds_task
from cpf.rights import services as rights_services
from cpf.sandbox_psp.models import WebhookDelivery, WebhookEndpoint
from tests.accounts.factories import PASSWORD, provider_member
from tests.bookings.support import bookable_session, paris
from tests.clock import NOW
from tests.conftest import _TestWorkerConnector
from tests.holders.factories import TermsVersionFactory

from .payments.support import DECLINED, THREE_D_SECURE, WEBHOOK_SECRET

# Every app whose tables the journey writes; the national referentials (imported once per test
# database) are left out, so that the flush after the test keeps them for the tests that follow.
APPS = [
    "cpf.accounts",
    "cpf.core",
    "cpf.holders",
    "cpf.providers",
    "cpf.catalogue",
    "cpf.search",
    "cpf.rights",
    "cpf.ledger",
    "cpf.bookings",
    "cpf.payments",
    "cpf.sandbox_psp",
    "procrastinate.contrib.django",
    "cpf.www",
    "dsfr",
    "widget_tweaks",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
pytestmark = [
    pytest.mark.django_db(transaction=True, available_apps=APPS),
    pytest.mark.usefixtures("frozen_clock"),
]

# Line 2 of data/samples/declarations_2025.csv: full time in 2025, 500 € of rights.
NIR = "185057505600116"
HOLDER_EMAIL = "louis.durand@example.fr"
HOLDER_PASSWORD = "Formation2026"
ADMIN_EMAIL = "admin@organisme.example"
PRICE = 2_400_00
RIGHTS = 500_00
FLAT_PARTICIPATION = 103_20  # rule 11, from 1 January 2026
CARD = PRICE - RIGHTS + FLAT_PARTICIPATION


# --- A browser and an API client, over the standard library's HTTP ------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    body: str

    def json(self) -> dict:
        return json.loads(self.body)


class Browser:
    """Cookies kept (session, CSRF), redirects not followed: each step is seen."""

    def __init__(self, base_url: str) -> None:
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def open(
        self, method: str, url: str, *, form: dict | None = None, payload: dict | None = None, key: str = ""
    ) -> Answer:
        headers, body = {}, None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(
            urllib.parse.urljoin(self.base_url, url), data=body, headers=headers, method=method
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, "", response.read().decode())
        except urllib.error.HTTPError as answer:
            return Answer(answer.code, answer.headers.get("Location", ""), answer.read().decode())

    def submit(self, url: str, fields: dict[str, str], *, expect: int = 302) -> Answer:
        """Open the form's page, then post it with its CSRF token."""
        page = self.open("GET", url)
        assert page.status == 200, (url, page.status)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
        answer = self.open("POST", url, form={**fields, "csrfmiddlewaretoken": token})
        assert answer.status == expect, (url, answer.status, answer.body[:2000])
        return answer


def run_worker(*queues: str) -> None:
    """The real worker loop over ``queues`` until no job is due (tests/payments does the same).
    A synchronous job runs on a thread of the worker's pool, whose connection procrastinate's
    middleware keeps for ``CONN_MAX_AGE``: with no age, it is closed after each job, and the
    test database can be dropped at the end of the run."""
    settings_dict = connections["default"].settings_dict
    max_age = settings_dict["CONN_MAX_AGE"]
    settings_dict["CONN_MAX_AGE"] = 0
    try:
        with app.replace_connector(_TestWorkerConnector()) as worker_app:
            async_to_sync(worker_app.run_worker_async)(
                queues=list(queues), wait=False, listen_notify=False, install_signal_handlers=False
            )
    finally:
        settings_dict["CONN_MAX_AGE"] = max_age


def last_email(to: str, subject_part: str) -> mail.EmailMessage:
    run_worker("emails")
    found = [m for m in mail.outbox if to in m.to and subject_part.lower() in m.subject.lower()]
    assert found, [(m.to, m.subject) for m in mail.outbox]
    return found[-1]


def email_text(subject_part: str) -> str:
    """The holder's last e-mail about ``subject_part``, its lines joined."""
    return " ".join(last_email(HOLDER_EMAIL, subject_part).body.split("\n"))


# --- What a person finds already there ----------------------------------------------------


@dataclass(frozen=True)
class World:
    base_url: str
    session: Session
    fund_cents: int  # the CPF fund once the rights of 2025 are credited (to every declared person)


@pytest.fixture
def world(live_server, settings):
    """The sandbox payment provider on the live server (its webhooks to our endpoint), the
    catalogue, the provider and its administrator, the terms, the declared rights."""
    cache.clear()
    settings.PAYMENT_PSP_BASE_URL = f"{live_server.url}/sandbox-psp/"
    settings.PAYMENT_PSP_TRANSPORT = ""
    WebhookEndpoint.objects.create(
        url=f"{live_server.url}/paiements/webhooks/sandbox/", secret=WEBHOOK_SECRET
    )
    TermsVersionFactory()
    session = bookable_session()
    provider = session.action.training.provider
    provider_member(provider, ADMIN_EMAIL, is_admin=True)
    rights_services.import_declarations_file(
        path=str(settings.DATA_DIR / "samples" / "declarations_2025.csv"), actor=None, now=NOW
    )
    rights_services.credit_rights(year=2025)
    yield World(live_server.url, session, fund_cents=balance(AccountKind.CPF_FUND))
    cache.clear()


# --- The steps, each over HTTP ------------------------------------------------------------


def sign_up_and_activate(base_url: str) -> str:
    """The holder's pages, then the link of the activation e-mail; returns an API token."""
    browser = Browser(base_url)
    page = browser.open("GET", "/compte/inscription/").body
    terms_version = re.search(r'name="terms_version" value="(\d+)"', page).group(1)
    answer = browser.submit(
        "/compte/inscription/",
        {
            "nir": "1 85 05 75 056 001 16",
            "sex": "1",
            "birth_name": "DURAND",
            "first_names": "Louis",
            "birth_date": "1985-05-02",
            "email": HOLDER_EMAIL,
            "password1": HOLDER_PASSWORD,
            "password2": HOLDER_PASSWORD,
            "accept_terms": "on",
            "terms_version": terms_version,
        },
    )
    assert answer.location == "/compte/inscription/envoyee/"
    activation = last_email(HOLDER_EMAIL, "Confirmez votre adresse")
    link = re.search(rf"{re.escape(base_url)}(/compte/activation/\S+/)", activation.body).group(1)
    assert browser.submit(link, {}).location == "/compte/connexion/"
    token = Browser(base_url).open(
        "POST", "/api/v1/auth/token", payload={"nir": NIR, "password": HOLDER_PASSWORD}
    )
    assert token.status == 200, token.body
    return token.json()["access_token"]


def book(base_url: str, token: str, session: Session) -> int:
    """The holder asks for a seat on the session (rule 14). (The training's page and its API
    read the national referentials, which this transactional test leaves out of its apps so
    that its flush keeps them: the session is the one the catalogue holds.)"""
    api = Browser(base_url)
    booked = api.open("POST", "/api/v1/me/registrations", payload={"session_id": session.pk}, key=token)
    assert (booked.status, booked.json()["status"]) == (201, "not_processed"), booked.body
    return booked.json()["id"]


def provider_api_key(base_url: str, provider_id: int) -> str:
    """The provider's administrator logs in to the professional space and creates a key on the
    provider's API keys page, shown once."""
    browser = Browser(base_url)
    browser.submit("/espace-pro/connexion/", {"email": ADMIN_EMAIL, "password": PASSWORD})
    created = browser.submit(
        f"/organisme/{provider_id}/cles-api/", {"name": "Logiciel de gestion"}, expect=200
    )
    return re.search(r'data-testid="raw-key">([^<]+)<', created.body).group(1)


def provider_validates(base_url: str, key: str, registration_id: int) -> None:
    api = Browser(base_url)
    waiting = api.open("GET", "/api/v1/provider/registrations?status=not_processed", key=key).json()
    assert [item["id"] for item in waiting["items"]] == [registration_id]
    validated = api.open(
        "POST", f"/api/v1/provider/registrations/{registration_id}/validate", payload={}, key=key
    )
    assert (validated.status, validated.json()["status"]) == (200, "validated"), validated.body


def accept_with_code(base_url: str, token: str, registration_id: int) -> str:
    """Rule 28: the code asked, read from its e-mail, typed; returns the hosted page's address."""
    api = Browser(base_url)
    asked = api.open("POST", f"/api/v1/me/registrations/{registration_id}/otp", key=token)
    assert asked.status == 202, asked.body
    code = re.search(r"^(\d{6})$", last_email(HOLDER_EMAIL, "code").body, re.MULTILINE).group(1)
    accepted = api.open(
        "POST", f"/api/v1/me/registrations/{registration_id}/accept", payload={"otp": code}, key=token
    )
    assert accepted.status == 200, accepted.body
    answer = accepted.json()
    assert answer["payment_required"] is True
    assert answer["payment"]["amount_cents"] == CARD
    split = answer["registration"]["split"]
    assert (split["rights_cents"], split["card_cents"], split["flat_participation_cents"]) == (
        RIGHTS,
        PRICE - RIGHTS,
        FLAT_PARTICIPATION,
    )
    return answer["payment"]["payment_url"]


def pay(base_url: str, payment_url: str, number: str) -> None:
    """The hosted page, then the 3-D Secure challenge when the card asks for one; the payer is
    sent back to our return page, which is not opened (the webhook decides)."""
    browser = Browser(base_url)
    page = browser.open("GET", payment_url)
    assert page.status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    answer = browser.open(
        "POST",
        payment_url,
        form={"number": number, "expiry": "12/30", "cvc": "123", "csrfmiddlewaretoken": token},
    )
    if number == DECLINED:
        assert answer.status == 200 and "Votre carte a été refusée par votre banque." in answer.body
        return
    assert answer.status == 302 and "/3ds/" in answer.location, answer.status
    back = browser.submit(urllib.parse.urljoin(payment_url, answer.location), {"decision": "approve"})
    assert "redirect_status=succeeded" in back.location


def deliver_webhooks() -> None:
    """The sandbox's worker delivers its webhooks to our endpoint over HTTP."""
    run_worker("webhooks")
    assert WebhookDelivery.objects.filter(delivered_at__isnull=True).count() == 0


def holder_file(base_url: str, token: str, registration_id: int) -> dict:
    return Browser(base_url).open("GET", f"/api/v1/me/registrations/{registration_id}", key=token).json()


def declare(base_url: str, key: str, registration_id: int, step: str, payload: dict) -> dict:
    answer = Browser(base_url).open(
        "POST", f"/api/v1/provider/registrations/{registration_id}/{step}", payload=payload, key=key
    )
    assert answer.status == 200, answer.body
    return answer.json()


# --- What the ledger holds ------------------------------------------------------------------


def movements(registration_id: int) -> list[tuple[str, list[tuple[str, int]]]]:
    """The file's transactions in order, each with its entries (account kind, cents)."""
    return [
        (
            transaction.kind,
            sorted(
                Entry.objects.filter(transaction=transaction).values_list("account__kind", "amount_cents")
            ),
        )
        for transaction in Transaction.objects.filter(reference=f"registration:{registration_id}").order_by(
            "pk"
        )
    ]


def balance(kind: AccountKind, **owner) -> int:
    """The sum of the entries of the one account of ``kind`` (of ``owner``)."""
    account = Account.objects.get(kind=kind, **owner)
    return sum(Entry.objects.filter(account=account).values_list("amount_cents", flat=True))


def the_holder() -> Holder:
    return Holder.objects.get(user__email=HOLDER_EMAIL)


# --- The journeys ---------------------------------------------------------------------------


def test_a_booking_from_sign_up_to_service_done_over_http(world, time_machine):
    base_url, session = world.base_url, world.session
    provider = session.action.training.provider

    # the holder signs up, books; the provider validates with its key
    token = sign_up_and_activate(base_url)
    registration_id = book(base_url, token, session)
    key = provider_api_key(base_url, provider.pk)
    provider_validates(base_url, key, registration_id)

    # the holder accepts with the e-mailed code and pays by card with 3-D Secure
    payment_url = accept_with_code(base_url, token, registration_id)
    pay(base_url, payment_url, THREE_D_SECURE)
    deliver_webhooks()

    file = holder_file(base_url, token, registration_id)
    assert (file["status"], file["payment_state"]) == ("accepted", "paid")
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED

    # the session starts on Monday 5 July 2027: entry declared the day after (rule 20)
    time_machine.move_to(paris(2027, 7, 6, 9), tick=True)
    entered = declare(base_url, key, registration_id, "entry", {"entry_date": "2027-07-05"})
    assert (entered["status"], entered["provider_due_cents"], entered["advance_due_cents"]) == (
        "in_training",
        PRICE,
        0,
    )
    # it ends on Thursday 30 September: exit and service done on Friday 1 October (rule 21)
    time_machine.move_to(paris(2027, 10, 1, 9), tick=True)
    declare(base_url, key, registration_id, "exit", {"exit_date": "2027-09-30", "reason_code": "completed"})
    done = declare(base_url, key, registration_id, "service-done", {"hours_done": 120})
    assert (done["status"], done["completion_rate"], done["provider_due_cents"]) == (
        "service_done_declared",
        100,
        PRICE,
    )

    # then the ledger is reconciled, and every balance is the one of rules 10 to 22
    assert reconcile().ok
    holder = the_holder()
    registration = Registration.objects.get(pk=registration_id)
    assert (registration.reserved_cents, registration.card_held_cents) == (0, 0)
    assert movements(registration_id) == [
        ("reservation", [("holder_reserved", RIGHTS), ("holder_rights", -RIGHTS)]),
        ("card_capture", [("card_clearing", CARD), ("operator_bank", -CARD)]),
        (
            "entry_debit",
            [
                ("card_clearing", -CARD),
                ("cpf_fund", FLAT_PARTICIPATION),
                ("holder_reserved", -RIGHTS),
                ("provider_payable", PRICE),
            ],
        ),
    ]
    assert balance(AccountKind.HOLDER_RIGHTS, holder=holder) == 0
    assert balance(AccountKind.HOLDER_RESERVED, holder=holder) == 0
    assert balance(AccountKind.PROVIDER_PAYABLE, provider=provider) == PRICE
    assert balance(AccountKind.CARD_CLEARING) == 0
    assert balance(AccountKind.OPERATOR_BANK) == -CARD
    assert balance(AccountKind.CPF_FUND) == world.fund_cents + FLAT_PARTICIPATION
    assert Account.objects.get(kind=AccountKind.PROVIDER_PAYABLE).balance_cents == PRICE
    # and the holder was told each step with its real days and amounts
    assert "2\u00a0003,20\u00a0€ ont été payés par carte" in email_text("Inscription confirmée")
    assert "à la date du lundi 5 juillet 2027" in email_text("Entrée en formation")
    assert "à la date du jeudi 30 septembre 2027" in email_text("Sortie de formation")


def test_a_declined_card_paid_on_retry_then_a_free_cancellation_refunded_by_the_worker(world, time_machine):
    base_url, session = world.base_url, world.session
    token = sign_up_and_activate(base_url)
    registration_id = book(base_url, token, session)
    provider_validates(
        base_url, provider_api_key(base_url, session.action.training.provider_id), registration_id
    )

    # the first card is declined: the webhook releases the reservation ("Paiement refusé")
    pay(base_url, accept_with_code(base_url, token, registration_id), DECLINED)
    deliver_webhooks()
    file = holder_file(base_url, token, registration_id)
    assert (file["status"], file["payment_state"]) == ("validated", "refused")
    assert Account.objects.get(kind=AccountKind.HOLDER_RIGHTS, holder=the_holder()).balance_cents == RIGHTS
    assert reconcile().ok

    # two minutes later (one code a minute), a new code, and the 3-D Secure card pays
    time_machine.move_to(NOW + datetime.timedelta(minutes=2), tick=True)
    pay(base_url, accept_with_code(base_url, token, registration_id), THREE_D_SECURE)
    deliver_webhooks()
    file = holder_file(base_url, token, registration_id)
    assert (file["status"], file["payment_state"]) == ("accepted", "paid")
    assert list(Payment.objects.order_by("attempt").values_list("attempt", "status")) == [
        (1, PaymentStatus.CANCELED),
        (2, PaymentStatus.SUCCEEDED),
    ]

    # the holder cancels seven months before the start: free (rules 13 and 19)
    api = Browser(base_url)
    quote = api.open("GET", f"/api/v1/me/registrations/{registration_id}/cancellation", key=token).json()
    canceled = api.open("POST", f"/api/v1/me/registrations/{registration_id}/cancel", key=token)
    assert canceled.status == 200, canceled.body
    assert canceled.json()["status"] == "canceled_by_attendee"
    assert (quote["rights_recredited_cents"], quote["card_refund_cents"]) == (RIGHTS, PRICE - RIGHTS)
    assert quote["flat_participation_refund_cents"] == FLAT_PARTICIPATION

    # the worker's refund task sends the card refund to the provider over HTTP
    send_refunds_task.defer(timestamp=int(NOW.timestamp()) + 180)
    run_worker("default")
    deliver_webhooks()

    assert reconcile().ok
    holder = the_holder()
    refund = Refund.objects.get()
    assert (refund.amount_cents, refund.payment.attempt) == (CARD, 2)
    assert CardRefundDue.objects.get().done_at is not None
    assert Account.objects.get(kind=AccountKind.HOLDER_RIGHTS, holder=the_holder()).balance_cents == RIGHTS
    assert balance(AccountKind.HOLDER_RIGHTS, holder=holder) == RIGHTS
    assert balance(AccountKind.HOLDER_RESERVED, holder=holder) == 0
    assert balance(AccountKind.CARD_CLEARING) == 0
    assert balance(AccountKind.OPERATOR_BANK) == 0
    assert balance(AccountKind.CPF_FUND) == world.fund_cents
    assert not Account.objects.filter(kind=AccountKind.PROVIDER_PAYABLE).exclude(balance_cents=0).exists()
    registration = Registration.objects.get(pk=registration_id)
    assert registration.status == RegistrationStatus.CANCELED_BY_ATTENDEE
    assert registration.payment_state == PaymentState.PAID
    rights = api.open("GET", "/api/v1/me/rights", key=token).json()
    assert rights["balance_cents"] == RIGHTS
    assert "Nous vous remboursons 2\u00a0003,20\u00a0€" in email_text("Remboursement")
    assert "Votre paiement par carte n'a pas abouti" in email_text("Paiement refusé")
