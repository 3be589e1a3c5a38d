"""Money helpers: integer cents, half-up rounding (rule 2), French display."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cpf.core.money import InvalidAmount, format_euros, parse_euros, prorata_cents, round_half_up_cents


@pytest.mark.parametrize(
    ("exact", "cents"),
    [
        (Decimal("0.5"), 1),
        (Decimal("1.4999"), 1),
        (Decimal("2.5"), 3),
        (Decimal("-0.5"), -1),
        (Decimal(7), 7),
    ],
)
def test_rounding_is_half_up_to_the_cent(exact, cents):
    assert round_half_up_cents(exact) == cents


@pytest.mark.parametrize(
    ("amount", "numerator", "denominator", "cents"),
    [
        (50_000, 1, 2, 25_000),
        (50_000, 1, 3, 16_667),  # 16,666.67 cents → 16,667
        (50_000, 803, 1607, 24_984),  # 24,984.44
        (80_000, 0, 1607, 0),
    ],
)
def test_prorata_is_exact_then_rounded_once(amount, numerator, denominator, cents):
    assert prorata_cents(amount, numerator, denominator) == cents


def test_prorata_refuses_a_zero_denominator():
    with pytest.raises(ValueError):
        prorata_cents(50_000, 1, 0)


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (123456, "1\u00a0234,56\u00a0€"),
        (5, "0,05\u00a0€"),
        (-50_000, "-500,00\u00a0€"),
        (500_000_00, "500\u00a0000,00\u00a0€"),
    ],
)
def test_amounts_are_displayed_the_french_way(cents, text):
    assert format_euros(cents) == text


def test_whole_euros_can_be_shown_without_cents():
    assert format_euros(50_000, with_cents=False) == "500\u00a0€"
    assert format_euros(50_050, with_cents=False) == "500,50\u00a0€"


@pytest.mark.parametrize(
    ("text", "cents"), [("1 234,5", 123450), ("1234.50 €", 123450), ("0,01", 1), ("3\u00a0000", 300000)]
)
def test_typed_amounts_are_read_in_cents(text, cents):
    assert parse_euros(text) == cents


@pytest.mark.parametrize("text", ["abc", "1,234", "NaN", ""])
def test_bad_amounts_are_refused(text):
    with pytest.raises(InvalidAmount):
        parse_euros(text)
