"""Stripe's test cards and what each does (booking-reference.md §3).

The sandbox knows only these numbers: any other card, however well formed, is refused as an
incorrect number, so that nobody types a real card into it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import Enum


class Outcome(Enum):
    SUCCEED = "succeed"
    REQUIRE_3DS = "require_3ds"
    DECLINE = "decline"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    # Stripe's decline code when declined, "" otherwise.
    code: str = ""


TEST_CARDS: dict[str, Verdict] = {
    "4242424242424242": Verdict(Outcome.SUCCEED),
    "4000002760003184": Verdict(Outcome.REQUIRE_3DS),
    "4000000000000002": Verdict(Outcome.DECLINE, "card_declined"),
    "4000000000009995": Verdict(Outcome.DECLINE, "insufficient_funds"),
    "4000000000000069": Verdict(Outcome.DECLINE, "expired_card"),
    "4000000000000127": Verdict(Outcome.DECLINE, "incorrect_cvc"),
}


@dataclass(frozen=True)
class Card:
    number: str
    exp_month: int
    exp_year: int
    cvc: str


def normalized_number(number: str) -> str:
    return "".join(number.split())


def luhn_valid(number: str) -> bool:
    digits = [int(digit) for digit in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * digit, 10)) for digit in digits[1::2])
    return total % 10 == 0


def evaluate(card: Card, *, today: datetime.date) -> Verdict:
    """What the card network answers for ``card`` on ``today``."""
    number = normalized_number(card.number)
    if not (number.isdigit() and 12 <= len(number) <= 19 and luhn_valid(number)):
        return Verdict(Outcome.DECLINE, "incorrect_number")
    if not (1 <= card.exp_month <= 12) or (card.exp_year, card.exp_month) < (today.year, today.month):
        return Verdict(Outcome.DECLINE, "expired_card")
    if not (card.cvc.isdigit() and len(card.cvc) in (3, 4)):
        return Verdict(Outcome.DECLINE, "incorrect_cvc")
    return TEST_CARDS.get(number, Verdict(Outcome.DECLINE, "incorrect_number"))
