"""Money helpers. Amounts are integer cents everywhere; ``Decimal`` only appears here, inside
the rounding of rates and pro rata (rule 2: round to the cent, half up)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import BusinessError

NBSP = "\u00a0"


class InvalidAmount(BusinessError, ValueError):
    """A text that is not an amount in euros."""

    code = "invalid_amount"


def round_half_up_cents(amount_cents: Decimal) -> int:
    """Round an exact amount in cents to a whole cent, half up (0.5 cent → 1 cent)."""
    return int(amount_cents.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def prorata_cents(amount_cents: int, numerator: int | Decimal, denominator: int | Decimal) -> int:
    """``amount_cents × numerator / denominator``, rounded half up to the cent (rule 2)."""
    if denominator <= 0:
        raise ValueError("the denominator of a pro rata must be positive")
    exact = Decimal(amount_cents) * Decimal(numerator) / Decimal(denominator)
    return round_half_up_cents(exact)


def format_euros(amount_cents: int, *, with_cents: bool = True) -> str:
    """French display of an amount: ``123456`` → ``"1 234,56 €"`` (non-breaking spaces)."""
    sign = "-" if amount_cents < 0 else ""
    euros, cents = divmod(abs(amount_cents), 100)
    grouped = f"{euros:,}".replace(",", NBSP)
    if with_cents or cents:
        return f"{sign}{grouped},{cents:02d}{NBSP}€"
    return f"{sign}{grouped}{NBSP}€"


def parse_euros(text: str) -> int:
    """Read an amount typed in euros ("1 234,5", "1234.50 €") into cents, refusing anything
    with more than two decimals rather than rounding it silently."""
    cleaned = text.replace("€", "").replace(NBSP, "").replace("\u202f", "").replace(" ", "")
    cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise InvalidAmount(f"« {text} » n'est pas un montant en euros.") from exc
    if not value.is_finite():
        raise InvalidAmount(f"« {text} » n'est pas un montant en euros.")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise InvalidAmount(f"« {text} » a plus de deux décimales.")
    return int(cents)
