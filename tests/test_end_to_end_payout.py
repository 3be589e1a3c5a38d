"""A provider from its application to its first transfer, end to end, through HTTP only, on a
live server: a person applies for a provider space on the sign-up pages with real PDF files
(rule 24); an agent, logged in to the back-office with the second factor, verifies the bank
details and accepts the application; the provider's administrator confirms their address, logs
in and creates and publishes an offer on the certification it was authorised for (rule 25); a
holder signs up, books, accepts with the e-mailed code and pays the rest by card on the
sandbox's hosted pages (the journey of ``tests/test_end_to_end_booking.py``, whose steps are
reused); the provider validates the request and declares entry, exit and the service done
through its API; the service done is validated by the worker's task five business days later
(rule 21); the provider issues its invoice on its portal (rules 22, 23); the agent starts a
payment run, which the real worker makes; the agent downloads its ``pain.001.001.09`` file,
which is valid against the ISO 20022 schema and whose control sum is what the ledger says was
paid; the provider's member reads the transfer on its space; ``reconcile_ledger`` is clean.

What is prepared beforehand, not over HTTP: the terms of use, the rights of 2025 credited from
the sample declarations (500 € for a full-time year) and the back-office's agent with their
second factor. The clock starts at ``tests.clock.NOW`` and is moved (time-machine, which the
live server's threads share) to the session's days."""

from __future__ import annotations

import datetime
import io
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test.signals import setting_changed
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from lxml import etree

from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration
from cpf.bookings.tasks import validate_overdue_service_done_task
from cpf.catalogue.enums import PublicationStatus
from cpf.catalogue.models import Action, Session, Training
from cpf.invoicing.enums import InvoiceStatus
from cpf.invoicing.models import Invoice
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.models import Entry
from cpf.payouts import sepa
from cpf.payouts.models import PayoutRun, Transfer
from cpf.providers.enums import BankDetailsStatus, ProviderStatus
from cpf.providers.models import BankDetails, Provider
from cpf.rights import services as rights_services
from cpf.sandbox_psp.models import WebhookEndpoint
from tests.accounts.factories import agent, verified_device
from tests.bookings.support import paris
from tests.catalogue.catalogue_files import CERTIFICATION
from tests.clock import NOW, TODAY
from tests.factories import luhn_complete
from tests.holders.factories import TermsVersionFactory
from tests.providers.onboarding_support import pdf_bytes, png_bytes
from tests.test_end_to_end_booking import (
    APPS as BOOKING_APPS,
)
from tests.test_end_to_end_booking import (
    PRICE,
    Answer,
    Browser,
    accept_with_code,
    balance,
    book,
    declare,
    deliver_webhooks,
    holder_file,
    last_email,
    pay,
    provider_validates,
    run_worker,
    sign_up_and_activate,
)

from .payments.support import THREE_D_SECURE, WEBHOOK_SECRET

APPS = [
    *BOOKING_APPS,
    "cpf.invoicing",
    "cpf.payouts",
    "cpf.webhooks",
    "django.contrib.admin",
    "django_otp",
    "django_otp.plugins.otp_totp",
]
pytestmark = [
    pytest.mark.django_db(transaction=True, available_apps=APPS),
    pytest.mark.usefixtures("frozen_clock"),
]

SIRET = luhn_complete(luhn_complete("77000999") + "0001")  # SIREN and SIRET keys right
MEMBER_EMAIL = "ines@atelier.example"
MEMBER_PASSWORD = "Organisme2026"
AGENT_PASSWORD = "Operateur2026"
IBAN = "FR14 2004 1010 0505 0001 3M02 606"


class Portal(Browser):
    """The browser, with forms that send files (multipart), as the sign-up pages ask, and
    buttons of a page that post to another address."""

    def press(self, page_url: str, url: str, fields: dict[str, str] | None = None) -> Answer:
        """Open ``page_url``, then post its form to ``url`` (a button) with its CSRF token."""
        page = self.open("GET", page_url)
        assert page.status == 200 and f'action="{url}"' in page.body, (page_url, page.status, url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
        answer = self.open("POST", url, form={**(fields or {}), "csrfmiddlewaretoken": token})
        assert answer.status == 302, (url, answer.status, errors(answer.body))
        return answer

    def submit_files(
        self, url: str, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
    ) -> Answer:
        page = self.open("GET", url)
        assert page.status == 200, (url, page.status)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
        boundary = uuid.uuid4().hex
        body = io.BytesIO()
        for name, value in {**fields, "csrfmiddlewaretoken": token}.items():
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        for name, (filename, content, content_type) in files.items():
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode()
            )
            body.write(content + b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
        request = urllib.request.Request(
            urllib.parse.urljoin(self.base_url, url),
            data=body.getvalue(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, "", response.read().decode())
        except urllib.error.HTTPError as answer:
            return Answer(answer.code, answer.headers.get("Location", ""), answer.read().decode())


@pytest.fixture
def every_app(transactional_db):
    """Every installed app while the test runs, ``APPS`` again for the flush that ends it: the
    back-office's pages list the models of every app (the referentials among them), whereas the
    flush must keep the national referentials for the tests that follow."""
    apps.unset_available_apps()
    installed_apps_changed(settings.INSTALLED_APPS, enter=False)
    yield
    apps.set_available_apps(APPS)
    installed_apps_changed(APPS, enter=True)


def installed_apps_changed(value: list[str], *, enter: bool) -> None:
    """What Django's test case signals when it changes the available apps (caches cleared)."""
    setting_changed.send(
        sender=settings._wrapped.__class__, setting="INSTALLED_APPS", value=value, enter=enter
    )


@pytest.fixture
def world(every_app, live_server, settings):
    """The sandbox payment provider on the live server, the terms, the declared rights."""
    cache.clear()
    settings.PAYMENT_PSP_BASE_URL = f"{live_server.url}/sandbox-psp/"
    settings.PAYMENT_PSP_TRANSPORT = ""
    WebhookEndpoint.objects.create(
        url=f"{live_server.url}/paiements/webhooks/sandbox/", secret=WEBHOOK_SECRET
    )
    TermsVersionFactory()
    rights_services.import_declarations_file(
        path=str(settings.DATA_DIR / "samples" / "declarations_2025.csv"), actor=None, now=NOW
    )
    rights_services.credit_rights(year=2025)
    yield live_server.url
    cache.clear()


def errors(page: str) -> list[str]:
    """The error messages a form page shows, for a failing assertion to say."""
    return re.findall(
        r'class="fr-(?:error-text|message fr-message--error|alert__title)"[^>]*>\s*([^<]+)<', page
    )


# --- The steps, each over HTTP ------------------------------------------------------------


def apply_for_a_provider_space(base_url: str) -> Provider:
    """The two sign-up pages: the company's identity, then its documents (real PDF and PNG
    files), its bank details and the first administrator's login (rule 24)."""
    browser = Portal(base_url)
    answer = browser.submit(
        "/organisme/inscription/",
        {
            "siret": SIRET,
            "legal_name": "Atelier Numérique",
            "address": "8 rue Mercière",
            "postal_code": "69002",
            "city": "Lyon",
        },
    )
    assert answer.location == "/organisme/inscription/confirmation/"
    answer = browser.submit_files(
        "/organisme/inscription/confirmation/",
        {
            "confirm_identity": "on",
            "email": "contact@atelier.example",
            "nda": "846 9123 4569",
            "qualiopi_number": "Q-2026-1",
            "qualiopi_valid_until": "2028-06-30",
            "certification_1": CERTIFICATION,
            "kbis_issued_on": (TODAY - datetime.timedelta(days=5)).isoformat(),
            "iban": IBAN,
            "bic": "",
            "account_holder_name": "Atelier Numérique",
            "first_name": "Inès",
            "last_name": "Garnier",
            "admin_email": MEMBER_EMAIL,
            "password": MEMBER_PASSWORD,
        },
        {
            "qualiopi_file": ("qualiopi.pdf", pdf_bytes(), "application/pdf"),
            "authorisation_1": ("habilitation.pdf", pdf_bytes(2), "application/pdf"),
            "kbis_file": ("kbis.png", png_bytes(), "image/png"),
        },
    )
    assert (answer.status, answer.location) == (302, "/organisme/inscription/envoyee/"), errors(answer.body)
    provider = Provider.objects.get(siret=SIRET)
    assert (provider.status, provider.documents.count()) == (ProviderStatus.APPLYING, 3)
    return provider


def an_agent() -> TOTPDevice:
    """A back-office agent (an administrator) and the second factor on their phone."""
    return verified_device(agent("agent", superuser=True, password=AGENT_PASSWORD))


def agent_logs_in(base_url: str, device: TOTPDevice) -> Portal:
    """The agent logs in with the password, then the code of their second factor."""
    browser = Portal(base_url)
    answer = browser.submit("/admin/login/", {"username": "agent", "password": AGENT_PASSWORD})
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    browser.submit(answer.location, {"code": code})
    assert browser.open("GET", "/admin/providers/provider/candidatures/").status == 200
    return browser


def accept_the_application(agent_browser: Browser, provider: Provider) -> None:
    """The bank details verified (by the agent, not their author), then the application found in
    the review queue, declared admissible and accepted."""
    details = BankDetails.objects.get(provider=provider)
    agent_browser.submit(
        "/admin/providers/bankdetails/",
        {"action": "verify_bank_details_action", "_selected_action": str(details.pk)},
    )
    details.refresh_from_db()
    assert details.status == BankDetailsStatus.VERIFIED
    queue = agent_browser.open("GET", "/admin/providers/provider/candidatures/")
    assert f"/admin/providers/provider/{provider.pk}/candidature/" in queue.body
    review = f"/admin/providers/provider/{provider.pk}/candidature/"
    agent_browser.submit(review, {"decision": "admissible"})
    agent_browser.submit(review, {"decision": "accept"})
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.REFERENCED


def member_confirms_their_address(base_url: str) -> None:
    confirmation = last_email(MEMBER_EMAIL, "Confirmez votre adresse")
    link = re.search(r"https?://\S+?(/espace-pro/confirmation/\S+/)", confirmation.body).group(1)
    assert Portal(base_url).submit(link, {}).location == "/espace-pro/connexion/"


def member_logs_in(base_url: str) -> Portal:
    browser = Portal(base_url)
    answer = browser.submit("/espace-pro/connexion/", {"email": MEMBER_EMAIL, "password": MEMBER_PASSWORD})
    assert answer.location != "/espace-pro/connexion/"
    return browser


def publish_an_offer(member: Portal, provider: Provider) -> Session:
    """A training on the authorised certification, its action of 2 400 € and 120 hours, its
    session from Monday 5 July to Thursday 30 September 2027 (under three months: no advance,
    rule 20), then published."""
    new = f"/organisme/{provider.pk}/offres/nouvelle/"
    assert f'<option value="{CERTIFICATION}"' in member.open("GET", new).body
    member.submit(
        new,
        {
            "reference": "DW-01",
            "certification": CERTIFICATION,
            "title": "Développeur web",
            "objectives": "Développer des applications web.",
            "content": "Front-end et back-end.",
            "expected_results": "Titre professionnel.",
        },
    )
    training = Training.objects.get(provider=provider)
    member.submit(
        f"/organisme/{provider.pk}/offres/{training.pk}/actions/nouvelle/",
        {
            "price": "2 400",
            "duration_hours": "120",
            "modality": "in_person",
            "insee_code": "69383",
            "postal_code": "69003",
            "address": "3 place Bellecour",
            "prerequisites": "Aucun.",
            "admission_terms": "Entretien.",
        },
    )
    action = Action.objects.get(training=training)
    member.submit(
        f"/organisme/{provider.pk}/offres/{training.pk}/actions/{action.pk}/sessions/nouvelle/",
        {"start_date": "2027-07-05", "end_date": "2027-09-30", "seats": "12", "status": "open"},
    )
    member.press(
        f"/organisme/{provider.pk}/offres/{training.pk}/",
        f"/organisme/{provider.pk}/offres/{training.pk}/statut/publier/",
    )
    training.refresh_from_db()
    shown = member.open("GET", f"/organisme/{provider.pk}/offres/{training.pk}/").body
    assert training.status == PublicationStatus.PUBLISHED, re.findall(r"<p>([^<]+)</p>", shown)
    return Session.objects.get(action=action)


def api_key_of(member: Browser, provider: Provider) -> str:
    created = member.submit(
        f"/organisme/{provider.pk}/cles-api/", {"name": "Logiciel de gestion"}, expect=200
    )
    return re.search(r'data-testid="raw-key">([^<]+)<', created.body).group(1)


def start_a_payment_run(agent_browser: Portal) -> PayoutRun:
    """The button on the dashboard queues the run; the worker makes it."""
    dashboard = "/admin/payouts/payoutrun/tableau-de-bord/"
    started = agent_browser.press(dashboard, "/admin/payouts/payoutrun/lancer/")
    assert started.location == dashboard
    assert not PayoutRun.objects.exists()
    run_worker("default")
    return PayoutRun.objects.get()


def paid_by_the_ledger(run: PayoutRun) -> int:
    """The payout postings of ``run``: what left the providers' payables for payout clearing."""
    entries = Entry.objects.filter(
        transaction__kind=TransactionKind.PAYOUT, transaction__details__run_id=run.pk
    )
    cleared = entries.filter(account__kind=AccountKind.PAYOUT_CLEARING).values_list("amount_cents", flat=True)
    payables = entries.filter(account__kind=AccountKind.PROVIDER_PAYABLE).values_list(
        "amount_cents", flat=True
    )
    assert sum(cleared) == -sum(payables)
    return sum(cleared)


# --- The journey ----------------------------------------------------------------------------


def test_a_provider_from_its_application_to_its_first_transfer_over_http(world, time_machine):
    base_url = world

    # the application, accepted in the back-office; the certification becomes the provider's
    provider = apply_for_a_provider_space(base_url)
    device = an_agent()
    accept_the_application(agent_logs_in(base_url, device), provider)

    # the administrator confirms their address, publishes an offer and creates an API key
    member_confirms_their_address(base_url)
    member = member_logs_in(base_url)
    session = publish_an_offer(member, provider)
    key = api_key_of(member, provider)

    # a holder books; the provider validates; the holder accepts and pays by card
    token = sign_up_and_activate(base_url)
    registration_id = book(base_url, token, session)
    provider_validates(base_url, key, registration_id)
    pay(base_url, accept_with_code(base_url, token, registration_id), THREE_D_SECURE)
    deliver_webhooks()
    assert holder_file(base_url, token, registration_id)["payment_state"] == "paid"

    # entry, exit and the service done declared through the provider's API (rules 20, 21)
    time_machine.move_to(paris(2027, 7, 6, 9), tick=True)
    entered = declare(base_url, key, registration_id, "entry", {"entry_date": "2027-07-05"})
    assert (entered["status"], entered["advance_due_cents"]) == ("in_training", 0)
    time_machine.move_to(paris(2027, 10, 1, 9), tick=True)
    declare(base_url, key, registration_id, "exit", {"exit_date": "2027-09-30", "reason_code": "completed"})
    done = declare(base_url, key, registration_id, "service-done", {"hours_done": 120})
    assert (done["status"], done["provider_due_cents"]) == ("service_done_declared", PRICE)

    # no agent controls it: the worker's task validates it after 5 business days (rule 21),
    # not on the fourth (Thursday 7 October), on Monday 11 October
    for day, status in (
        (7, RegistrationStatus.SERVICE_DONE_DECLARED),
        (11, RegistrationStatus.SERVICE_DONE_VALIDATED),
    ):
        time_machine.move_to(paris(2027, 10, day, 9), tick=True)
        validate_overdue_service_done_task.defer(timestamp=int(paris(2027, 10, day, 9).timestamp()))
        run_worker("default")
        assert Registration.objects.get(pk=registration_id).status == status

    # the provider invoices it on its space, validated by the automatic checks (rule 23)
    member = member_logs_in(base_url)
    member.submit(
        f"/organisme/{provider.pk}/dossiers/{registration_id}/facture/",
        {"number": "F2027-0001", "amount": "2 400,00", "vat_rate": "0", "issued_on": "2027-10-11"},
    )
    assert Invoice.objects.get(registration_id=registration_id).status == InvoiceStatus.VALIDATED

    # the agent starts a payment run the next morning; the worker makes it
    time_machine.move_to(paris(2027, 10, 12, 8), tick=True)
    agent_browser = agent_logs_in(base_url, device)
    run = start_a_payment_run(agent_browser)
    transfer = Transfer.objects.get(run=run)
    assert (run.transfer_count, run.total_cents, transfer.provider_id) == (1, PRICE, provider.pk)

    # its file, downloaded: valid pain.001.001.09, paying what the ledger says was paid
    file = agent_browser.open("GET", f"/admin/payouts/payoutrun/{run.pk}/fichier/")
    assert file.status == 200
    content = file.body.encode()
    document = etree.fromstring(content)
    schema = etree.XMLSchema(etree.parse(str(sepa.XSD_PATH)))
    assert schema.validate(document), schema.error_log
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    control_sum = Decimal(document.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns))
    assert document.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == "1"
    assert int(control_sum * 100) == paid_by_the_ledger(run) == PRICE
    assert document.findtext(".//p:CdtTrfTxInf/p:PmtId/p:EndToEndId", namespaces=ns) == transfer.end_to_end_id
    assert document.findtext(".//p:CdtTrfTxInf/p:CdtrAcct/p:Id/p:IBAN", namespaces=ns) == IBAN.replace(
        " ", ""
    )
    assert balance(AccountKind.PROVIDER_PAYABLE, provider=provider) == 0

    # the provider's member reads the transfer on its space
    transfers = member_logs_in(base_url).open("GET", f"/organisme/{provider.pk}/virements/")
    assert transfers.status == 200
    assert transfer.end_to_end_id in transfers.body and "2\u00a0400,00" in transfers.body

    # and the ledger reconciles
    out = io.StringIO()
    call_command("reconcile_ledger", stdout=out)
    assert "0 soldes faux, 0 négatifs, 0 transactions déséquilibrées, 0 écarts avec les dossiers" in (
        out.getvalue()
    )
