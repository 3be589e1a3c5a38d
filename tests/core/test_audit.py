"""The audit log (cpf/core/audit.py, docs/adr/0005-audit-log.md): one event per action, written in
the action's transaction, with old and new values, the request's id and address; never changed
afterwards, not even by SQL."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from cpf.core import audit
from cpf.core.middleware import RequestContextMiddleware
from cpf.core.models import AuditEvent
from cpf.providers.enums import ProviderStatus
from cpf.providers.models import BankDetails
from tests.core.support import make_agent
from tests.factories import ProviderFactory, real_commune

NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
OLD_IBAN = "FR7630004000031234567890143"
NEW_IBAN = "FR7630006000011234567890189"


def change_iban(provider, iban, *, actor, reason="Nouveau compte bancaire"):
    """What a service changing bank details does: snapshot, change, one event, one transaction."""
    with transaction.atomic():
        before = audit.snapshot(provider.bank_details.get(), ["iban"])
        details = BankDetails.objects.create(
            provider=provider, iban=iban, account_holder_name=provider.legal_name, submitted_at=NOW
        )
        return audit.record_event(
            event="provider.bank_details_changed",
            target=provider,
            at=NOW,
            actor=actor,
            changes=audit.diff(before, audit.snapshot(details, ["iban"])),
            organisation=provider,
            reason=reason,
        )


def through_middleware(work, **headers):
    """Run ``work`` as the view of a request that went through the middleware."""
    done = {}

    def view(request):
        done["result"] = work()
        return HttpResponse("ok")

    request = RequestFactory().get("/", **headers)
    response = RequestContextMiddleware(view)(request)
    return response, done["result"]


def sql(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


@pytest.mark.django_db
def test_an_action_writes_one_event_with_old_and_new_values_request_id_and_address():
    agent = make_agent("agent-paiements", "payments")
    provider = ProviderFactory(iban=OLD_IBAN)

    response, event = through_middleware(
        lambda: change_iban(provider, NEW_IBAN, actor=agent),
        HTTP_X_REQUEST_ID="rq-2026-03-02-0001",
        REMOTE_ADDR="203.0.113.7",
    )

    assert AuditEvent.objects.count() == 1
    stored = AuditEvent.objects.get()
    assert stored == event
    assert (stored.at, stored.actor, stored.actor_role, stored.system_job) == (
        NOW,
        agent,
        "agent:payments",
        "",
    )
    assert (stored.event, stored.target_type, stored.target_id) == (
        "provider.bank_details_changed",
        "providers.provider",
        str(provider.pk),
    )
    assert (stored.organisation_type, stored.organisation_id) == ("providers.provider", str(provider.pk))
    assert stored.changes == {"iban": {"old": "FR76 •••• •••• 0143", "new": "FR76 •••• •••• 0189"}}
    assert (stored.reason, stored.request_id, stored.ip_address) == (
        "Nouveau compte bancaire",
        "rq-2026-03-02-0001",
        "203.0.113.7",
    )
    assert response["X-Request-ID"] == "rq-2026-03-02-0001"
    assert list(AuditEvent.objects.for_target(provider)) == [stored]


@pytest.mark.django_db
def test_field_values_are_stored_as_json_with_dates_decimals_and_foreign_keys():
    provider = ProviderFactory(status=ProviderStatus.APPLYING)
    fields = ["status", "qualiopi_valid_until", "commune", "legal_name"]
    before = audit.snapshot(provider, fields)
    provider.status = ProviderStatus.REFERENCED
    provider.qualiopi_valid_until = datetime.date(2028, 6, 30)
    provider.commune = real_commune("75056") or real_commune("75101")

    with transaction.atomic():
        event = audit.record_event(
            event="provider.status_changed",
            target=provider,
            at=NOW,
            changes={
                **audit.diff(before, audit.snapshot(provider, fields)),
                "rate": (Decimal("0.30"), Decimal("0.25")),
            },
            system_job="referencing_review",
        )

    event.refresh_from_db()
    assert event.changes == {
        "status": {"old": "applying", "new": "referenced"},
        "qualiopi_valid_until": {"old": "2027-12-31", "new": "2028-06-30"},
        "commune": {"old": before["commune"], "new": provider.commune_id},
        "rate": {"old": "0.30", "new": "0.25"},
    }
    assert (event.actor, event.actor_role, event.system_job) == (None, "system", "referencing_review")


def test_diff_keeps_only_the_fields_that_changed():
    before = {"iban": "FR1", "bic": "AGRIFRPP", "name": "A"}
    after = {"iban": "FR2", "bic": "AGRIFRPP", "website": "https://a.example"}

    assert audit.diff(before, after) == {
        "iban": ("FR1", "FR2"),
        "name": ("A", None),
        "website": (None, "https://a.example"),
    }


def test_values_that_json_cannot_hold_are_converted_or_refused():
    moment = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")

    assert audit.to_json(
        {
            "at": moment,
            "amounts": (Decimal("1.5"), 2),
            "key": key,
            "roles": {"b", "a"},
            "delay": datetime.timedelta(days=2),
        }
    ) == {
        "at": "2026-03-02T10:00:00+00:00",
        "amounts": ["1.5", 2],
        "key": "12345678-1234-5678-1234-567812345678",
        "roles": ["a", "b"],
        "delay": "P2DT00H00M00S",
    }
    with pytest.raises(TypeError, match="bytes"):
        audit.to_json(b"\x00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "old", "new", "stored"),
    [
        pytest.param("iban", "FR76 3000 4000 0312 3456 7890 143", "", ("FR76 •••• •••• 0143", ""), id="iban"),
        pytest.param("nir", "185057800608436", "285057800608436", ("••••", "••••"), id="nir"),
        pytest.param("nir_hash", "ab12", "cd34", ("••••", "••••"), id="nir hash"),
        pytest.param("nir_encrypted", None, "gAAAA", (None, "••••"), id="nir encrypted"),
        pytest.param(
            "note", "NIR 1 85 05 78 006 084 36", "", ("NIR 1 85 05 •• ••• ••• 36", ""), id="free text"
        ),
    ],
)
def test_a_nir_or_an_iban_never_reaches_the_log_in_clear(field, old, new, stored):
    with transaction.atomic():
        event = audit.record_event(
            event="holder.identity_changed",
            target=None,
            at=NOW,
            changes={field: (old, new)},
            reason="Demande du titulaire 185057800608436",
        )

    event.refresh_from_db()
    assert (event.changes[field]["old"], event.changes[field]["new"]) == stored
    assert event.reason == "Demande du titulaire 1 85 05 •• ••• ••• 36"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE core_auditevent SET reason = 'rewritten'",
        "DELETE FROM core_auditevent",
        "TRUNCATE core_auditevent",
        "TRUNCATE core_auditevent CASCADE",
    ],
)
def test_the_log_cannot_be_changed_by_sql(statement):
    with transaction.atomic():
        event = audit.record_event(event="provider.referenced", target=None, at=NOW, reason="Dossier complet")

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        # A production database: the test databases allow their flush to truncate the log.
        sql("SET LOCAL cpf.test_database = 'off'")
        sql("SET CONSTRAINTS ALL IMMEDIATE")  # as after a commit: no foreign key check pending
        sql(statement)

    event.refresh_from_db()
    assert (AuditEvent.objects.count(), event.reason) == (1, "Dossier complet")


@pytest.mark.django_db(transaction=True, available_apps=[])
def test_an_event_outside_a_transaction_is_refused():
    with pytest.raises(audit.AuditOutsideTransaction):
        audit.record_event(event="provider.referenced", target=None, at=NOW)

    assert not AuditEvent.objects.filter(at=NOW).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        pytest.param({"event": "Provider changed"}, "dotted lower-case", id="event code"),
        pytest.param({"event": "provider"}, "dotted lower-case", id="event without a domain"),
        pytest.param({"at": datetime.datetime(2026, 3, 2, 9, 30)}, "timezone-aware", id="naive time"),  # noqa: DTZ001
        pytest.param({"changes": {"iban": "FR76"}}, "pair", id="changes not a pair"),
    ],
)
def test_a_malformed_event_is_refused(arguments, error):
    with pytest.raises((ValueError, TypeError), match=error), transaction.atomic():
        audit.record_event(**{"event": "provider.referenced", "target": None, "at": NOW, **arguments})

    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_an_unsaved_object_cannot_be_the_target():
    with pytest.raises(ValueError, match="unsaved"), transaction.atomic():
        audit.record_event(event="provider.referenced", target=ProviderFactory.build(), at=NOW)


@pytest.mark.django_db
def test_the_role_is_the_kind_of_account_or_the_agents_roles():
    fraud_and_quality = make_agent("agent-controle", "quality", "fraud")

    assert audit.actor_role(None) == "system"
    assert audit.actor_role(SimpleNamespace(kind="provider_member")) == "provider_member"
    assert audit.actor_role(SimpleNamespace(kind="holder")) == "holder"
    assert audit.actor_role(fraud_and_quality) == "agent:fraud,quality"
    assert audit.actor_role(make_agent("agent-sans-role")) == "agent"


@pytest.mark.django_db
def test_a_job_is_recorded_as_the_author_of_what_it_does_without_a_person():
    with audit.system_job("expire_registration_requests"), transaction.atomic():
        by_job = audit.record_event(event="registration.lapsed", target=None, at=NOW)
    with transaction.atomic():
        outside = audit.record_event(event="registration.lapsed", target=None, at=NOW)

    assert (by_job.actor_role, by_job.system_job) == ("system", "expire_registration_requests")
    assert (outside.system_job, audit.current_context()) == ("", audit.AuditContext())


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("3f2a9c1e-77b0-4d5e-9a61-0c2f4e8b1d3a", True),
        ("req_01HZX.42:a", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("id with spaces", False),
        ("abc\nX-Injected: 1", False),
        ("abc\n", False),
        ("-leading-dash", False),
        ("", False),
    ],
)
def test_the_request_id_is_the_one_sent_when_it_is_a_sane_token(given, kept):
    response, context = through_middleware(audit.current_context, HTTP_X_REQUEST_ID=given)

    assert context.request_id == response["X-Request-ID"]
    if kept:
        assert context.request_id == given
    else:
        assert len(context.request_id) == 32
        assert int(context.request_id, 16) >= 0


def test_each_request_has_its_own_id_and_leaves_no_context_behind():
    first, _ = through_middleware(audit.current_context)
    second, _ = through_middleware(audit.current_context)

    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert audit.current_context() == audit.AuditContext()


@pytest.mark.parametrize(
    ("proxies", "headers", "address"),
    [
        (0, {"REMOTE_ADDR": "198.51.100.4", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "198.51.100.4"),
        (1, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}, "203.0.113.9"),
        (1, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "2001:db8::1"}, "2001:db8::1"),
        (1, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "not-an-address"}, None),
    ],
)
def test_the_address_is_the_clients_behind_trusted_proxies_and_never_a_forged_string(
    proxies, headers, address
):
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        _, context = through_middleware(audit.current_context, **headers)

    assert context.ip_address == address


@pytest.mark.django_db
def test_agents_read_the_log_in_the_back_office_and_cannot_change_it(admin_client):
    with transaction.atomic():
        event = audit.record_event(
            event="provider.referenced",
            target=ProviderFactory(),
            at=NOW,
            changes={"status": ("applying", "referenced")},
        )
    change_url = f"/admin/core/auditevent/{event.pk}/change/"

    listing = admin_client.get("/admin/core/auditevent/", {"q": event.target_id, "actor_role": "system"})
    page = admin_client.get(change_url)
    refused = admin_client.post(change_url, {"reason": "rewritten"})
    deleted = admin_client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [event]
    assert page.status_code == 200
    assert "referenced" in page.text
    assert admin_client.get("/admin/core/auditevent/add/").status_code == 403
    assert (refused.status_code, deleted.status_code) == (403, 403)
    event.refresh_from_db()
    assert event.reason == ""
