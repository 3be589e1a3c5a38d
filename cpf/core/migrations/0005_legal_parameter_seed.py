"""Today's values of the dated legal parameters (cpf/core/parameters.py), with the date each
applies from, as published: domain-rules.md and booking-reference.md.

Where the source gives no starting date, the value applies from the opening of the public service
(21 November 2019); the rights amounts from 1 January 2019, when rights were first counted in
euros (law of 5 September 2018). Idempotent: a row already there for a code and date is kept.
"""

import datetime

from django.db import migrations
from django.utils import timezone

OPENING = datetime.date(2019, 11, 21)
EUROS = datetime.date(2019, 1, 1)

# (code, unit, [(applies_from, value), ...], rule)
SEED = [
    ("rights_standard_yearly_cents", "cents", [(EUROS, 500_00)], 1),
    ("rights_standard_ceiling_cents", "cents", [(EUROS, 5_000_00)], 1),
    ("rights_enhanced_yearly_cents", "cents", [(EUROS, 800_00)], 3),
    ("rights_enhanced_ceiling_cents", "cents", [(EUROS, 8_000_00)], 3),
    ("corrective_grant_cents", "cents", [(EUROS, 3_000_00)], 9),
    (
        "flat_participation_cents",
        "cents",
        [
            (datetime.date(2024, 5, 2), 100_00),
            (datetime.date(2025, 1, 1), 102_23),
            (datetime.date(2026, 1, 1), 103_20),
        ],
        11,
    ),
    ("provider_answer_business_days", "business_days", [(OPENING, 2)], 15),
    ("provider_answer_with_prerequisites_days", "calendar_days", [(OPENING, 30)], 15),
    ("holder_acceptance_business_days", "business_days", [(OPENING, 4)], 16),
    # "≥ 11 business days between proposal and start, since 10 June 2021".
    ("proposal_to_start_min_business_days", "business_days", [(datetime.date(2021, 6, 10), 11)], 17),
    ("max_open_requests_per_action", "count", [(OPENING, 5)], 18),
    ("withdrawal_period_business_days", "business_days", [(OPENING, 11)], 19),
    ("free_cancellation_min_business_days", "business_days", [(OPENING, 7)], 19),
    ("late_cancellation_indemnity_percent", "percent", [(OPENING, 5)], 19),
    ("refund_calendar_days", "calendar_days", [(OPENING, 30)], 19),
    ("entry_declaration_business_days", "business_days", [(OPENING, 3)], 20),
    ("exit_declaration_business_days", "business_days", [(OPENING, 3)], 20),
    # The advance's percentage is not published: 30 % (booking-reference.md).
    ("advance_payment_percent", "percent", [(OPENING, 30)], 20),
    ("advance_min_session_months", "months", [(OPENING, 3)], 20),
    # "Service done auto-validated after 5, correctable in 5 (since 10 April 2025)".
    ("service_done_auto_validation_business_days", "business_days", [(datetime.date(2025, 4, 10), 5)], 21),
    ("service_done_correction_business_days", "business_days", [(datetime.date(2025, 4, 10), 5)], 21),
    ("completion_tiers_percent", "percent_tiers", [(OPENING, [25, 80])], 22),
    ("abandonment_minimum_payment_percent", "percent", [(OPENING, 25)], 22),
    ("provider_payment_calendar_days", "calendar_days", [(OPENING, 30)], 23),
    # Not published: an operating choice of the operator (migration 0006 adds it to databases
    # seeded before it).
    ("bank_details_waiting_calendar_days", "calendar_days", [(OPENING, 5)], 24),
]


def seed_legal_parameters(apps, schema_editor):
    LegalParameter = apps.get_model("core", "LegalParameter")
    now = timezone.now()
    for code, unit, dated_values, rule in SEED:
        for applies_from, value in dated_values:
            LegalParameter.objects.get_or_create(
                code=code,
                applies_from=applies_from,
                defaults={
                    "value": value,
                    "unit": unit,
                    "created_at": now,
                    "reason": f"Valeur publiée à la mise en service (domain-rules.md, règle {rule}).",
                },
            )


class Migration(migrations.Migration):
    dependencies = [("core", "0004_legal_parameter")]

    operations = [migrations.RunPython(seed_legal_parameters, migrations.RunPython.noop)]
