"""Dated legal parameters: every amount, rate and deadline that a decree or the terms of use may
change (domain-rules.md, numbers marked "configurable"), kept as rows with the date they apply
from (docs/adr/0005-audit-log.md, "Dated legal parameters").

Code never holds such a number: it asks for the value in force on the day that matters::

    parameters.value("flat_participation_cents", on=proposal_sent_on)   # 10320 in 2026

``set_value`` is the only way to change one: an agent schedules a new value from a later date,
with a reason, and the audit log records it. A date already reached is refused, so the value
that applied on any past day never changes.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import audit
from .enums import ParameterUnit
from .errors import BusinessError, required_reason
from .models import LegalParameter
from .money import InvalidAmount, parse_euros

ParameterValue = int | list[int]


@dataclass(frozen=True)
class ParameterSpec:
    """What a parameter is: its French label, what its value counts, the rule it comes from."""

    label: str
    unit: ParameterUnit
    rule: int

    @property
    def is_list(self) -> bool:
        return self.unit == ParameterUnit.PERCENT_TIERS


BUSINESS = ParameterUnit.BUSINESS_DAYS
CALENDAR = ParameterUnit.CALENDAR_DAYS

# Deadlines count business days (jours ouvrés, cpf.core.calendar) where the rule says so, and
# calendar days where it says "days" only: the answer on prerequisites (rule 15: "30 jours" in the
# terms of use, where the 2-day answer is "2 jours ouvrés"), refunds and payments (rules 19, 23).
REGISTRY: dict[str, ParameterSpec] = {
    # Rights (rules 1, 3, 9): rights for year N use the values in force on 1 January of year N.
    "rights_standard_yearly_cents": ParameterSpec(
        "Droits acquis par année de travail (taux normal)", ParameterUnit.CENTS, 1
    ),
    "rights_standard_ceiling_cents": ParameterSpec(
        "Plafond des droits (taux normal)", ParameterUnit.CENTS, 1
    ),
    "rights_enhanced_yearly_cents": ParameterSpec(
        "Droits acquis par année de travail (taux majoré)", ParameterUnit.CENTS, 3
    ),
    "rights_enhanced_ceiling_cents": ParameterSpec(
        "Plafond des droits (taux majoré)", ParameterUnit.CENTS, 3
    ),
    "corrective_grant_cents": ParameterSpec("Abondement correctif de l'employeur", ParameterUnit.CENTS, 9),
    # The flat participation (rule 11), in force on the day of the purchase.
    "flat_participation_cents": ParameterSpec(
        "Participation forfaitaire obligatoire du titulaire", ParameterUnit.CENTS, 11
    ),
    # The registration file's deadlines (rules 15 to 21).
    "provider_answer_business_days": ParameterSpec(
        "Délai de réponse de l'organisme à une demande d'inscription", BUSINESS, 15
    ),
    "provider_answer_with_prerequisites_days": ParameterSpec(
        "Délai de réponse de l'organisme quand des prérequis sont à vérifier (jours calendaires)",
        CALENDAR,
        15,
    ),
    "holder_acceptance_business_days": ParameterSpec(
        "Délai d'acceptation de la proposition de commande par le titulaire", BUSINESS, 16
    ),
    "proposal_to_start_min_business_days": ParameterSpec(
        "Délai minimal entre l'envoi de la proposition et le début de la session", BUSINESS, 17
    ),
    "max_open_requests_per_action": ParameterSpec(
        "Demandes d'inscription en cours au plus par titulaire et par action", ParameterUnit.COUNT, 18
    ),
    "withdrawal_period_business_days": ParameterSpec(
        "Délai de rétractation du titulaire après acceptation", BUSINESS, 19
    ),
    "free_cancellation_min_business_days": ParameterSpec(
        "Annulation sans frais par le titulaire jusqu'à ce délai avant le début", BUSINESS, 19
    ),
    "late_cancellation_indemnity_percent": ParameterSpec(
        "Dédommagement de l'organisme en cas d'annulation tardive ou d'absence", ParameterUnit.PERCENT, 19
    ),
    "refund_calendar_days": ParameterSpec(
        "Délai de remboursement du reste à charge et de la participation forfaitaire", CALENDAR, 19
    ),
    "entry_declaration_business_days": ParameterSpec(
        "Délai de déclaration de l'entrée en formation", BUSINESS, 20
    ),
    "exit_declaration_business_days": ParameterSpec(
        "Délai de déclaration de la sortie de formation", BUSINESS, 20
    ),
    "advance_payment_percent": ParameterSpec(
        "Avance versée à l'organisme à l'entrée en formation", ParameterUnit.PERCENT, 20
    ),
    "advance_min_session_months": ParameterSpec(
        "Durée de session au-delà de laquelle une avance est versée", ParameterUnit.MONTHS, 20
    ),
    "service_done_auto_validation_business_days": ParameterSpec(
        "Validation automatique du service fait en l'absence de contrôle", BUSINESS, 21
    ),
    "service_done_correction_business_days": ParameterSpec(
        "Délai de correction du service fait par l'organisme", BUSINESS, 21
    ),
    # Payment of the provider (rules 22 and 23).
    "completion_tiers_percent": ParameterSpec(
        "Paliers d'assiduité pour le paiement en cas d'abandon (moins de 25 %, de 25 à 80 %, 80 % et plus)",
        ParameterUnit.PERCENT_TIERS,
        22,
    ),
    "abandonment_minimum_payment_percent": ParameterSpec(
        "Part du prix payée à l'organisme sous le premier palier d'assiduité", ParameterUnit.PERCENT, 22
    ),
    "provider_payment_calendar_days": ParameterSpec(
        "Délai de paiement de l'organisme après validation du service fait", CALENDAR, 23
    ),
    # Bank details of a provider (rule 24): a change is used for payouts only this many days
    # after an agent verified it (cpf/providers/bank_details.py).
    "bank_details_waiting_calendar_days": ParameterSpec(
        "Délai avant l'utilisation de nouvelles coordonnées bancaires vérifiées", CALENDAR, 24
    ),
}


class UnknownParameter(LookupError):
    """A code that is not in ``REGISTRY``: a mistake in the code asking for it."""


class NoValueOnDate(LookupError):
    """No value of the parameter applies on that date (it was set from a later date)."""


class ParameterRefused(BusinessError):
    """A change of a parameter that ``set_value`` refuses; the messages are French, ``field``
    names what is at fault (``code``, ``value``, ``applies_from``, ``reason``)."""

    code = "parameter_refused"


def spec(code: str) -> ParameterSpec:
    try:
        return REGISTRY[code]
    except KeyError:
        raise UnknownParameter(f"unknown legal parameter {code!r}") from None


def value(code: str, *, on: datetime.date) -> ParameterValue:
    """The value of ``code`` in force on ``on``: the row with the latest ``applies_from`` on or
    before that day."""
    return values([code], on=on)[code]


def values(codes: Iterable[str], *, on: datetime.date) -> dict[str, ParameterValue]:
    """The values of several parameters in force on ``on``, in one query."""
    codes = list(codes)
    for code in codes:
        spec(code)
    _check_is_a_date(on)
    rows = (
        LegalParameter.objects.filter(code__in=codes, applies_from__lte=on)
        .order_by("code", "-applies_from")
        .distinct("code")
        .values_list("code", "value")
    )
    found = dict(rows)
    for code in codes:
        if code not in found:
            raise NoValueOnDate(
                f"Aucune valeur du paramètre « {REGISTRY[code].label} » ({code}) "
                f"n'est applicable au {on:%d/%m/%Y}."
            )
    return found


def integer(code: str, *, on: datetime.date) -> int:
    """``value`` for a parameter holding one whole number (an amount, a deadline, a rate)."""
    return integers([code], on=on)[code]


def integers(codes: Iterable[str], *, on: datetime.date) -> dict[str, int]:
    """``values`` for parameters each holding one whole number."""
    found = values(codes, on=on)
    for code, number in found.items():
        if REGISTRY[code].is_list or not isinstance(number, int):
            raise TypeError(f"the legal parameter {code!r} is not a whole number")
    return found  # type: ignore[return-value]


def set_value(
    *,
    code: str,
    value: Any,
    applies_from: datetime.date,
    actor: Any,
    reason: str,
    now: datetime.datetime,
) -> LegalParameter:
    """Schedule a new value of a legal parameter from ``applies_from`` (a later day than today:
    what applied on a past day or applies today never changes). An agent only, with a reason;
    one audit event ``legal_parameter.scheduled`` records the value it replaces on that day
    (the one previously scheduled for that day, or else the one in force before it).

    The parameter's rows are locked first, so two agents changing it at once are serialised
    (every known parameter has at least its seeded row to lock)."""
    parameter = _checked_spec(code)
    checked = _checked_value(parameter, value)
    reason = required_reason(reason, ParameterRefused)
    _check_is_a_date(applies_from)
    if applies_from <= timezone.localdate(now):
        raise ParameterRefused(
            "Une nouvelle valeur ne peut s'appliquer qu'à partir d'une date future : l'historique "
            "des valeurs appliquées ne se réécrit pas.",
            field="applies_from",
            code="not_in_the_future",
        )
    if not _is_agent(actor):
        raise ParameterRefused(
            "Seul un agent de l'opérateur peut modifier un paramètre réglementaire.", code="agents_only"
        )
    with transaction.atomic():
        list(LegalParameter.objects.select_for_update().filter(code=code).order_by("applies_from"))
        # Read again once the lock is held: the locking query cannot see a row that another
        # agent inserted and committed while this one waited.
        previous = (
            LegalParameter.objects.filter(code=code, applies_from__lte=applies_from)
            .order_by("-applies_from")
            .first()
        )
        replaced = previous.value if previous is not None else None
        same_day = previous if previous is not None and previous.applies_from == applies_from else None
        row = same_day or LegalParameter(code=code, applies_from=applies_from)
        row.value, row.unit, row.reason = checked, parameter.unit, reason
        row.created_at, row.created_by = now, actor
        row.save()
        audit.record_event(
            event="legal_parameter.scheduled",
            target=row,
            at=now,
            actor=actor,
            changes={"value": (replaced, checked)},
            reason=reason,
        )
    return row


def parse_value(code: str, text: str) -> ParameterValue:
    """Read a value typed by an agent: euros for amounts (``"103,20"``), a whole number for
    days, months, counts and percentages, whole numbers separated by commas or semicolons for
    tiers (``"25 ; 80"``)."""
    parameter = spec(code)
    try:
        if parameter.unit == ParameterUnit.CENTS:
            return parse_euros(text)
        if parameter.is_list:
            return [int(part) for part in text.replace(";", ",").split(",") if part.strip()]
        return int(text.strip())
    except InvalidAmount as exc:
        raise ParameterRefused(exc.messages, field="value", code=exc.code) from None
    except ValueError:
        message = f"« {text} » n'est pas une valeur valide pour ce paramètre."
        raise ParameterRefused(message, field="value", code="invalid_value") from None


def _checked_spec(code: str) -> ParameterSpec:
    try:
        return spec(code)
    except UnknownParameter:
        raise ParameterRefused(
            f"Le paramètre « {code} » n'existe pas.", field="code", code="unknown_parameter"
        ) from None


def _checked_value(parameter: ParameterSpec, given: Any) -> ParameterValue:
    """The value if it has the parameter's type and range, else a refusal: whole numbers only
    (amounts in cents), never negative, percentages up to 100, tiers strictly increasing."""
    if parameter.is_list:
        if not isinstance(given, list | tuple) or not given:
            raise _invalid_value("Les paliers sont une liste de pourcentages croissants.")
        tiers = [_checked_number(parameter, item) for item in given]
        if any(later <= earlier for earlier, later in itertools.pairwise(tiers)):
            raise _invalid_value("Les paliers doivent être strictement croissants.")
        return tiers
    return _checked_number(parameter, given)


def _checked_number(parameter: ParameterSpec, given: Any) -> int:
    if isinstance(given, bool) or not isinstance(given, int):
        raise _invalid_value(f"La valeur doit être un nombre entier ({parameter.unit.label}).")
    if given < 0:
        raise _invalid_value("La valeur ne peut pas être négative.")
    if parameter.unit in (ParameterUnit.PERCENT, ParameterUnit.PERCENT_TIERS) and given > 100:
        raise _invalid_value("Un pourcentage ne peut pas dépasser 100.")
    if parameter.unit == ParameterUnit.COUNT and given == 0:
        raise _invalid_value("Ce nombre doit être au moins 1.")
    return int(given)


def _invalid_value(message: str) -> ParameterRefused:
    return ParameterRefused(message, field="value", code="invalid_value")


def _check_is_a_date(day: object) -> None:
    # A datetime is a date too, but its day depends on the time zone: the caller decides it.
    if isinstance(day, datetime.datetime) or not isinstance(day, datetime.date):
        raise TypeError(f"expected a date, got {type(day).__name__}")


def _is_agent(actor: Any) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return str(actor.kind) == "agent"
