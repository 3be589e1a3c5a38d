"""The bookings benchmark, small: its preparation, its three HTTP steps against a live server
and its pure-SQL reservation, which must write what the project writes (the ledger reconciles
and the files satisfy their constraints). ``python -m bench bookings`` runs it on 100,000
holders with granian in front."""

from __future__ import annotations

import io
import socket
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from bench import bookings
from cpf.bookings.enums import PaymentState, RegistrationStatus
from cpf.bookings.models import Registration
from cpf.core import clock
from cpf.holders.models import TermsVersion
from cpf.ledger.enums import AccountKind
from cpf.ledger.models import Account
from cpf.ledger.reconcile import reconcile
from tests.holders.factories import TermsVersionFactory

APPS = [
    "cpf.accounts",
    "cpf.holders",
    "cpf.providers",
    "cpf.catalogue",
    "cpf.search",
    "cpf.ledger",
    "cpf.rights",
    "cpf.bookings",
    "cpf.payments",
    "procrastinate.contrib.django",
    "dsfr",
    "cpf.www",
]
pytestmark = pytest.mark.django_db(transaction=True, available_apps=APPS)
S = RegistrationStatus
FILES = 12


def test_the_bookings_benchmark_books_over_http_and_reserves_in_sql_what_the_project_reserves(live_server):
    out = io.StringIO()
    now = clock.now()
    if TermsVersion.objects.current(now.date()) is None:  # flushed by an earlier test's end
        TermsVersionFactory(in_force_from=now.date())
    call_command("generate_catalogue", sessions=400, seed=3, verbosity=0)
    bookings.open_holders(600, 2, out, now=now)
    bookers = bookings.prepare_bookers(2 * FILES, out, now=now)
    port = urlsplit(live_server.url).port
    reserved_before = {b.holder_id: b.price_cents for b in bookers}

    steps = bookings.book_over_http(bookers, port, 4, out)
    over_http, in_sql = bookers[:FILES], bookers[FILES:]
    baseline = bookings.run_baseline([b.registration_id for b in in_sql], 4)
    bookings.set_purchase_codes(over_http, code="246810")
    accepted = bookings.run_calls(
        "accept",
        port,
        [
            bookings.Call(
                "POST", f"/api/v1/me/registrations/{b.registration_id}/accept", {"otp": "246810"}, b.token
            )
            for b in over_http
        ],
        4,
    )

    assert [step.statuses for step in steps] == [{201: 2 * FILES}, {200: 2 * FILES}]
    assert accepted.statuses == {200: FILES}
    assert baseline.count == FILES
    files = Registration.objects.filter(pk__in=[b.registration_id for b in bookers])
    assert {(f.status, f.payment_state, f.reserved_cents == f.price_cents) for f in files} == {
        (S.ACCEPTED, PaymentState.NONE, True)
    }
    reserved = dict(
        Account.objects.filter(kind=AccountKind.HOLDER_RESERVED, holder_id__in=reserved_before).values_list(
            "holder_id", "balance_cents"
        )
    )
    assert reserved == reserved_before
    assert reconcile().ok
    report = out.getvalue()
    assert "Holders: 600 opened from declarations" in report
    assert f"Bookers: {2 * FILES} holders with a login" in report


@pytest.mark.django_db(transaction=False)
def test_the_connections_held_are_counted_per_process():
    # given a server process holding three of the clients' connections to its port, and a
    # connection to another port
    with socket.create_server(("127.0.0.1", 0)) as server, socket.create_server(("127.0.0.1", 0)) as other:
        port = server.getsockname()[1]
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        elsewhere = socket.create_connection(other.getsockname())
        held = [server.accept()[0] for _ in clients] + [other.accept()[0]]
        try:
            # then this process is counted with its three connections
            assert bookings.connections_per_worker(port) == [3]
        finally:
            for sock in [*clients, elsewhere, *held]:
                sock.close()
