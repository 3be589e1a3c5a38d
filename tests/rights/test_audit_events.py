"""The audit log of rights: one event per grant recorded (not for a replay), one per crediting
run, by the system."""

from __future__ import annotations

import pytest

from cpf.core.models import AuditEvent
from cpf.holders.nir import parse_nir
from cpf.referentials.models import Certification
from cpf.rights import services
from cpf.rights.enums import FunderKind
from tests.accounts.factories import funder_member
from tests.ledger.support import new_holder, valid_nir
from tests.rights.support import line, load

pytestmark = pytest.mark.django_db

NIR = valid_nir(21)


def test_a_grant_writes_one_event_with_what_was_granted_and_a_replay_none():
    # given a funder and one of its members
    funder = services.create_funder(kind=FunderKind.OPCO, name="OPCO Atlas")
    member = funder_member(funder)
    certification = Certification.objects.get(code="RNCP31114")

    # when the member adds a grant, then sends it again
    grant = services.add_grant(
        funder=funder,
        nir=parse_nir(NIR),
        amount_cents=1_500_00,
        certifications=[certification],
        funder_reference="A-1",
        actor=member,
    ).grant
    services.add_grant(
        funder=funder, nir=parse_nir(NIR), amount_cents=1_500_00, funder_reference="A-1", actor=member
    )

    # then one event tells who granted what to whom, for which funder, dated like the grant
    [event] = AuditEvent.objects.filter(event="rights.grant_added", organisation_id=str(funder.pk))
    assert (event.target_type, event.target_id, event.actor, event.actor_role, event.at) == (
        "rights.grant",
        str(grant.pk),
        member,
        "funder_member",
        grant.granted_at,
    )
    assert (event.organisation_type, event.organisation_id) == ("rights.funder", str(funder.pk))
    assert event.changes == {
        "kind": {"old": None, "new": "grant"},
        "amount_cents": {"old": None, "new": 1_500_00},
        "holder": {"old": None, "new": new_holder(21).pk},
        "certifications": {"old": None, "new": [certification.pk]},
        "funder_reference": {"old": None, "new": "A-1"},
        "transaction": {"old": None, "new": grant.transaction_id},
    }


def test_a_crediting_run_writes_one_event_by_the_system_with_its_figures():
    load(line(valid_nir(1)), line(valid_nir(2), hours="803"))

    report = services.credit_rights(year=2025, chunk_size=1)

    # (filtered by run: runs of tests on other connections may have left their events behind)
    [event] = AuditEvent.objects.filter(event="rights.crediting_run_finished", target_id=str(report.run_id))
    assert (event.target_type, event.target_id, event.actor, event.actor_role, event.system_job) == (
        "rights.creditingrun",
        str(report.run_id),
        None,
        "system",
        "credit_rights",
    )
    assert event.changes["accounts_credited"] == {"old": None, "new": 2}
    assert event.changes["credited_cents"] == {"old": None, "new": report.credited_cents}
    assert event.changes["year"] == {"old": None, "new": 2025}
