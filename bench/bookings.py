"""Booking through HTTP: request → the provider's proposal → acceptance paid with rights only, by
32 clients against the project's server, on a database of 100,000 holders; against a pure-SQL
reservation transaction measured in the same run and database.

1. 100,000 holders are opened from a declarations file (the crediting benchmark's generator and
   the project's import), nine in ten with rights from earlier years (0 to 7,900 €). Not timed.
2. ``--booking-files`` of them, whose rights cover the price, get a login with a confirmed
   address, the terms in force accepted, a jobseeker's exemption from the flat participation
   (rule 12: so that the rights alone pay, nothing by card) and a token of the mobile app; the
   providers of the trainings booked get an API key; sessions starting in 40 days are opened on
   actions of the demo catalogue. Not timed.
3. Over HTTP (granian, ``DEBUG=0``, loopback, keep-alive connections, ``--booking-clients``
   Python threads): every holder requests a seat (``POST /api/v1/me/registrations``), every
   provider sends its proposal (``POST /api/v1/provider/registrations/{id}/validate``), then every
   holder accepts with the one-time code of rule 28 (``POST /api/v1/me/registrations/{id}/accept``).
   The codes are set beforehand, as the holders would have received them by e-mail (the e-mails
   go through the worker, which is not part of the measure). Throughput and latencies per step.
4. The baseline: the same number of other proposals accepted by a pure-SQL transaction on
   ``--booking-clients`` connections (lock the file and the holder's accounts, write the
   reservation transaction and its entries, change both balances, accept the file and log the
   transition), what the project's acceptance does without Python, Django or HTTP.
5. ``reconcile_ledger`` over the whole ledger afterwards: it must be clean.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import psycopg
from django.conf import settings
from django.db import connection, transaction

from .clients import Request, run_clients, timed_in_threads
from .database import connection_params
from .search import stop_server

ROOT = Path(__file__).resolve().parents[1]
NAME = "bookings"
HELP = "request, proposal and acceptance (rights only) over HTTP against a pure-SQL reservation"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("bookings")
    group.add_argument(
        "--booking-holders", type=int, default=100_000, help="holders in the database (100,000)"
    )
    group.add_argument("--booking-files", type=int, default=3_000, help="files booked over HTTP (3,000)")
    group.add_argument("--booking-clients", type=int, default=32, help="concurrent HTTP clients (32)")
    group.add_argument("--booking-workers", type=int, default=2, help="granian worker processes (2)")
    group.add_argument("--booking-threads", type=int, default=4, help="granian threads per worker (4)")
    group.add_argument("--booking-seed", type=int, default=1, help="random seed of the holders (1)")


@dataclass(frozen=True)
class Call:
    """One HTTP request of a step: method, path, body, bearer token."""

    method: str
    path: str
    body: dict | None
    token: str


@dataclass
class StepResult:
    name: str
    count: int
    seconds: float
    latencies: list[float]
    statuses: Counter

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def p(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    def __str__(self) -> str:
        return (
            f"{self.name}: {self.count:,} in {self.seconds:.1f} s, {self.rate:,.0f}/s; "
            f"p50 {self.p(0.50):.1f} ms   p95 {self.p(0.95):.1f} ms   p99 {self.p(0.99):.1f} ms; "
            f"statuses {dict(self.statuses)}"
        )


def run_calls(
    name: str, port: int, calls: list[Call], clients: int, read: Callable | None = None
) -> StepResult:
    """Send ``calls`` from ``clients`` threads, each on its own keep-alive connection; ``read``
    is given each (call index, status, parsed body)."""
    requests = [
        Request(
            call.method,
            call.path,
            json.dumps(call.body).encode() if call.body is not None else None,
            {"Authorization": f"Bearer {call.token}", "Content-Type": "application/json"},
        )
        for call in calls
    ]
    parsed = None
    if read is not None:

        def parsed(index: int, status: int, payload: bytes) -> None:
            read(index, status, json.loads(payload) if payload else None)

    run = run_clients(port, requests, clients, read=parsed)
    return StepResult(name, len(calls), run.seconds, run.latencies, run.statuses)


# --- Preparation (not timed) ----------------------------------------------------------------------


@dataclass
class Booker:
    """One holder who books over HTTP: their token, the session they ask for, the provider key
    that answers, and the file once requested."""

    holder_id: int
    token: str
    session_id: int
    provider_key: str
    price_cents: int
    registration_id: int | None = None


def open_holders(count: int, seed: int, out: TextIO, *, now: datetime.datetime) -> None:
    """``count`` holders from a declarations file, through the project's import; nine in ten
    with rights from earlier years (the crediting benchmark's generator and opening balances)."""
    from cpf.rights import services as rights

    from .crediting import seed_earlier_balances, write_declarations

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "declarations.csv"
        write_declarations(path, lines=count, seed=seed)
        report = rights.import_declarations_file(path=str(path), actor=None, now=now)
    seed_earlier_balances()
    out.write(
        f"Holders: {report.holders_created:,} opened from declarations, rights from earlier years, "
        f"in {time.monotonic() - started:.1f} s\n"
    )


def bookable_sessions(files: int, *, today: datetime.date) -> list[tuple[int, int, int]]:
    """New sessions starting in 40 days (well beyond the 11 business days of rule 17) on actions
    of the catalogue whose training is published, about 10 files each: (session, provider,
    price) triples."""
    from cpf.catalogue.enums import SessionStatus
    from cpf.catalogue.models import Action, Session, Training

    per_session = 10
    wanted = files // per_session + 1
    actions = list(
        Action.objects.filter(
            training__in=Training.objects.visible(), price_cents__lte=300_000, price_cents__gte=10_000
        )
        .select_related("training")
        .order_by("id")[:wanted]
    )
    if len(actions) < wanted:
        raise RuntimeError("the catalogue has too few published actions for the bookings benchmark")
    sessions = Session.objects.bulk_create(
        Session(
            action=action,
            start_date=today + datetime.timedelta(days=40),
            end_date=today + datetime.timedelta(days=70),
            seats=per_session + 5,
            status=SessionStatus.OPEN,
        )
        for action in actions
    )
    return [(s.pk, a.training.provider_id, a.price_cents) for s, a in zip(sessions, actions, strict=True)]


def provider_keys(provider_ids: set[int], *, now: datetime.datetime) -> dict[int, str]:
    """An API key for each provider, in the format its administrators get (shown once)."""
    from cpf.accounts.enums import UserKind
    from cpf.accounts.models import User
    from cpf.providers.api_keys import KEY_PREFIX, hash_api_key
    from cpf.providers.models import ProviderApiKey

    creator = User.objects.create(
        username="banc-organismes", kind=UserKind.PROVIDER_MEMBER, email="organismes@banc-essai.example"
    )
    keys, rows = {}, []
    for provider_id in sorted(provider_ids):
        prefix = f"{KEY_PREFIX}{secrets.token_hex(4)}"
        raw = f"{prefix}_{secrets.token_urlsafe(32)}"
        keys[provider_id] = raw
        rows.append(
            ProviderApiKey(
                provider_id=provider_id,
                name="Banc d'essai",
                prefix=prefix,
                key_hash=hash_api_key(raw),
                created_by=creator,
                created_at=now,
            )
        )
    ProviderApiKey.objects.bulk_create(rows)
    return keys


def prepare_bookers(files: int, out: TextIO, *, now: datetime.datetime) -> list[Booker]:
    """``files`` holders whose rights cover the dearest price: a login with a confirmed address,
    the terms in force accepted, a jobseeker (rule 12: no flat participation, so the rights
    alone pay), their reserved-rights account opened, a token of the mobile app."""
    from cpf.accounts.enums import UserKind
    from cpf.accounts.models import User
    from cpf.holders.models import ApiToken, Holder, TermsAcceptance, TermsVersion, hash_api_token
    from cpf.ledger.enums import AccountKind
    from cpf.ledger.models import Account

    started = time.monotonic()
    today = now.date()
    sessions = bookable_sessions(files, today=today)
    dearest = max(price for _, _, price in sessions)
    holder_ids = list(
        Account.objects.filter(kind=AccountKind.HOLDER_RIGHTS, balance_cents__gte=dearest)
        .order_by("holder_id")
        .values_list("holder_id", flat=True)[:files]
    )
    if len(holder_ids) < files:
        raise RuntimeError(f"only {len(holder_ids)} holders have {dearest / 100:.2f} € of rights")
    terms = TermsVersion.objects.current(today)
    if terms is None:
        raise RuntimeError("no terms of use in force")
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(
                username=f"banc-{holder_id}",
                kind=UserKind.HOLDER,
                email=f"titulaire{holder_id}@banc-essai.example",
                email_confirmed_at=now,
                date_joined=now,
                password="!",
            )
            for holder_id in holder_ids
        )
        holders = Holder.objects.in_bulk(holder_ids)
        for holder_id, user in zip(holder_ids, users, strict=True):
            holders[holder_id].user = user
            holders[holder_id].is_jobseeker = True
        Holder.objects.bulk_update(holders.values(), ["user", "is_jobseeker"], batch_size=5_000)
        TermsAcceptance.objects.bulk_create(
            TermsAcceptance(holder_id=holder_id, terms=terms, accepted_at=now) for holder_id in holder_ids
        )
        Account.objects.bulk_create(
            Account(kind=AccountKind.HOLDER_RESERVED, holder_id=holder_id, balance_cents=0)
            for holder_id in holder_ids
        )
        tokens = {holder_id: secrets.token_urlsafe(32) for holder_id in holder_ids}
        ApiToken.objects.bulk_create(
            ApiToken(
                holder_id=holder_id,
                key_hash=hash_api_token(raw),
                created_at=now,
                expires_at=now + datetime.timedelta(days=1),
            )
            for holder_id, raw in tokens.items()
        )
        keys = provider_keys({provider for _, provider, _ in sessions}, now=now)
    bookers = [
        Booker(holder_id, tokens[holder_id], session, keys[provider], price)
        for holder_id, (session, provider, price) in zip(
            holder_ids, [sessions[i % len(sessions)] for i in range(files)], strict=True
        )
    ]
    out.write(
        f"Bookers: {files:,} holders with a login, a token and rights ≥ {dearest / 100:,.2f} €, "
        f"{len(sessions)} sessions, {len(keys)} provider keys, in {time.monotonic() - started:.1f} s\n"
    )
    return bookers


def set_purchase_codes(bookers: list[Booker], *, code: str) -> None:
    """Each file's one-time code (rule 28), as the holder received it by e-mail: the e-mails go
    through the worker, outside the measure."""
    from cpf.bookings.models import PurchaseCode
    from cpf.bookings.purchase_codes import CODE_LIFETIME, code_hash
    from cpf.core import clock

    now = clock.now()
    PurchaseCode.objects.bulk_create(
        PurchaseCode(
            registration_id=b.registration_id,
            holder_id=b.holder_id,
            code_hash=code_hash(registration_id=b.registration_id, holder_id=b.holder_id, code=code),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        for b in bookers
    )


# --- The pure-SQL reservation ---------------------------------------------------------------------

BASELINE_STEPS = (
    """SELECT holder_id, price_cents FROM bookings_registration
       WHERE id = %(file)s AND status = 'validated' FOR UPDATE""",
    """SELECT id, kind FROM ledger_account WHERE holder_id = %(holder)s
       AND kind IN ('holder_rights', 'holder_reserved') ORDER BY id FOR UPDATE""",
    """INSERT INTO ledger_transaction (kind, idempotency_key, reference, details)
       VALUES ('reservation', 'registration:' || %(file)s || ':reserve:1', 'registration:' || %(file)s,
               jsonb_build_object('registration_id', %(file)s, 'attempt', 1)) RETURNING id""",
    """INSERT INTO ledger_entry (transaction_id, account_id, amount_cents)
       VALUES (%(tx)s, %(reserved)s, %(price)s), (%(tx)s, %(rights)s, -%(price)s)""",
    "UPDATE ledger_account SET balance_cents = balance_cents - %(price)s WHERE id = %(rights)s",
    "UPDATE ledger_account SET balance_cents = balance_cents + %(price)s WHERE id = %(reserved)s",
    """UPDATE bookings_registration SET status = 'accepted', accepted_at = now(), deadline_at = NULL,
       payment_attempt = 1, payment_state = 'none', reserved_cents = %(price)s,
       flat_participation_exemption = 'jobseeker',
       split = jsonb_build_object('price_cents', %(price)s, 'rights_cents', %(price)s, 'grants', '[]'::jsonb,
           'credit_note_cents', 0, 'card_cents', 0, 'flat_participation_cents', 0, 'exemption', 'jobseeker')
       WHERE id = %(file)s""",
    """INSERT INTO bookings_registrationtransition (registration_id, from_status, to_status, reason, at)
       VALUES (%(file)s, 'validated', 'accepted', 'Proposition acceptée par le titulaire', now())""",
)


def reserve_in_sql(cursor: psycopg.Cursor, file_id: int) -> None:
    """One acceptance paid with rights only, as the project records it, in SQL alone."""
    cursor.execute(BASELINE_STEPS[0], {"file": file_id})
    holder_id, price = cursor.fetchone()
    cursor.execute(BASELINE_STEPS[1], {"holder": holder_id})
    accounts = {kind: account_id for account_id, kind in cursor.fetchall()}
    cursor.execute(BASELINE_STEPS[2], {"file": file_id})
    (tx,) = cursor.fetchone()
    values = {
        "file": file_id,
        "tx": tx,
        "price": price,
        "rights": accounts["holder_rights"],
        "reserved": accounts["holder_reserved"],
    }
    for statement in BASELINE_STEPS[3:]:
        cursor.execute(statement, values)


def run_baseline(file_ids: list[int], clients: int) -> StepResult:
    """The reservations on ``clients`` connections at once, each committed."""
    params = connection_params(settings.DATABASES["default"], settings.DATABASES["default"]["NAME"])

    def reserve(conn: psycopg.Connection, index: int) -> None:
        with conn.transaction(), conn.cursor() as cursor:
            reserve_in_sql(cursor, file_ids[index])

    seconds, latencies = timed_in_threads(len(file_ids), clients, lambda: psycopg.connect(**params), reserve)
    return StepResult("SQL reservation", len(file_ids), seconds, latencies, Counter())


# --- The run ----------------------------------------------------------------------------------------


def start_server(options: argparse.Namespace) -> tuple[subprocess.Popen, int]:
    from .search import _wait_until_up, free_port

    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "0",
        "DATABASE_NAME": settings.DATABASES["default"]["NAME"],
        "LOG_LEVEL": "WARNING",
    }
    command = [
        str(Path(sys.executable).with_name("granian")),
        "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(options.booking_workers), "--blocking-threads", str(options.booking_threads),
        "--backlog", "2048", "--no-access-log", "--log-level", "warning", "config.wsgi:application",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_until_up(port)
    return server, port


def book_over_http(bookers: list[Booker], port: int, clients: int, out: TextIO) -> list[StepResult]:
    """Request, then the provider's proposal, for every booker."""

    def remember(index: int, status: int, body: dict | None) -> None:
        if status == 201 and body is not None:
            bookers[index].registration_id = body["id"]

    requested = run_calls(
        "POST /api/v1/me/registrations",
        port,
        [Call("POST", "/api/v1/me/registrations", {"session_id": b.session_id}, b.token) for b in bookers],
        clients,
        remember,
    )
    out.write(f"  {requested}\n")
    missing = [b for b in bookers if b.registration_id is None]
    if missing:
        raise RuntimeError(f"{len(missing)} requests were refused")
    validated = run_calls(
        "POST /api/v1/provider/registrations/{id}/validate",
        port,
        [
            Call("POST", f"/api/v1/provider/registrations/{b.registration_id}/validate", {}, b.provider_key)
            for b in bookers
        ],
        clients,
    )
    out.write(f"  {validated}\n")
    return [requested, validated]


def run(options: argparse.Namespace, out: TextIO, *, now: datetime.datetime) -> None:
    from django.core.management import call_command

    from cpf.ledger.reconcile import reconcile

    files, clients = options.booking_files, options.booking_clients
    out.write(
        f"\nBookings: {options.booking_holders:,} holders, {files:,} files over HTTP and {files:,} "
        f"in SQL, {clients} clients\n"
    )
    if not _has_catalogue():
        call_command("generate_catalogue", sessions=8_000, seed=1, verbosity=0)
    open_holders(options.booking_holders, options.booking_seed, out, now=now)
    bookers = prepare_bookers(2 * files, out, now=now)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    server, port = start_server(options)
    try:
        out.write(
            f"HTTP: granian {options.booking_workers} WSGI workers x {options.booking_threads} threads, "
            f"DEBUG=0, loopback, {clients} Python clients on keep-alive connections\n"
        )
        book_over_http(bookers, port, clients, out)
        over_http, in_sql = bookers[:files], bookers[files:]
        baseline = run_baseline([b.registration_id for b in in_sql], clients)  # type: ignore[misc]
        out.write(f"  {baseline}\n")
        set_purchase_codes(over_http, code="246810")
        split: list[int] = []
        # Read while the clients are connected (they close their connections at the end).
        reader = threading.Timer(1.0, lambda: split.extend(connections_per_worker(port)))
        reader.start()
        accepted = run_calls(
            "POST /api/v1/me/registrations/{id}/accept",
            port,
            [
                Call(
                    "POST", f"/api/v1/me/registrations/{b.registration_id}/accept", {"otp": "246810"}, b.token
                )
                for b in over_http
            ],
            clients,
        )
        reader.join()
        out.write(f"  {accepted}\n")
        # Each keep-alive connection stays with the worker process the kernel gave it to: the
        # clients of the busier process wait longer, which the p95 shows.
        out.write(f"  connections per worker process: {' + '.join(map(str, split)) or 'not read'}\n")
    finally:
        stop_server(server)
    share = accepted.rate / baseline.rate * 100
    out.write(
        f"Acceptance over HTTP: {accepted.rate:,.0f}/s = {share:.1f} % of the SQL reservation's "
        f"{baseline.rate:,.0f}/s (goal ≥ 10 %); p95 {accepted.p(0.95):.1f} ms (goal ≤ 150 ms)\n"
    )
    outcome = reconcile()
    out.write(
        f"reconcile_ledger: {'clean' if outcome.ok else 'DIFFERENCES'} "
        f"({outcome.accounts_checked:,} accounts, {outcome.transactions_checked:,} transactions)\n"
    )


def connections_per_worker(port: int) -> list[int]:
    """The clients' connections held by each process serving ``port``, most first (Linux's
    ``/proc``; empty elsewhere)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # local address "ADDR:PORT" in hex, state 01 = established, then the socket's inode
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                inodes.add(fields[9])
    held: Counter[str] = Counter()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            fds = list(fd_dir.iterdir())
        except OSError:
            continue
        held[fd_dir.parent.name] += sum(1 for fd in fds if _socket_inode(fd) in inodes)
    return sorted((count for count in held.values() if count), reverse=True)


def _socket_inode(fd: Path) -> str | None:
    try:
        link = os.readlink(fd)
    except OSError:  # closed meanwhile
        return None
    return link[len("socket:[") : -1] if link.startswith("socket:[") else None


def _has_catalogue() -> bool:
    from cpf.catalogue.models import Session

    return Session.objects.exists()
