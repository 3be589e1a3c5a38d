"""Correcting a holder's identity (birth name, first names, birth date), rule 27: the identity
known to the operator decides who may open and use an account, so an agent changes it only
through this service, with a reason, and the audit log keeps the old and new values."""

from __future__ import annotations

import datetime

from django.db import transaction

from cpf.core import audit
from cpf.core.errors import BusinessError, required_reason

from .models import Holder

IDENTITY_FIELDS = ["birth_name", "first_names", "birth_date"]


class IdentityCorrectionRefused(BusinessError):
    """A correction of identity refused; the messages are French."""

    code = "identity_correction_refused"


def correct_holder_identity(
    *,
    holder: Holder,
    birth_name: str,
    first_names: str,
    birth_date: datetime.date | None,
    actor,
    reason: str,
    now: datetime.datetime,
) -> Holder:
    """Replace a holder's birth name, first names and birth date (e.g. a typo in an employer's
    declaration, proven by an identity document): the reason is required, the birth date
    cannot be in the future, and one audit event records what changed."""
    reason = required_reason(reason, IdentityCorrectionRefused)
    birth_name, first_names = " ".join(birth_name.split()), " ".join(first_names.split())
    if not birth_name:
        raise IdentityCorrectionRefused(
            "Le nom de naissance est obligatoire.", field="birth_name", code="birth_name_required"
        )
    if birth_date is not None and birth_date > now.date():
        raise IdentityCorrectionRefused(
            "La date de naissance ne peut pas être dans le futur.",
            field="birth_date",
            code="birth_date_in_future",
        )
    with transaction.atomic():
        locked = Holder.objects.select_for_update(of=("self",)).get(pk=holder.pk)
        before = audit.snapshot(locked, IDENTITY_FIELDS)
        locked.birth_name, locked.first_names, locked.birth_date = birth_name, first_names, birth_date
        changes = audit.diff(before, audit.snapshot(locked, IDENTITY_FIELDS))
        if not changes:
            raise IdentityCorrectionRefused(
                "L'identité saisie est déjà celle du titulaire.", code="unchanged"
            )
        locked.save(update_fields=IDENTITY_FIELDS)
        audit.record_event(
            event="holder.identity_corrected",
            target=locked,
            at=now,
            actor=actor,
            changes=changes,
            reason=reason,
        )
    return locked
