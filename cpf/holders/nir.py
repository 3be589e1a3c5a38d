"""The NIR (numéro d'inscription au répertoire, "numéro de sécurité sociale"), rule 27.

15 characters: sex (1), birth year (2), birth month (2), department (2, ``2A``/``2B`` for
Corsica), commune (3), order (3), control key (2) = 97 − (the 13 first digits mod 97), Corsica
counted as 19 (2A) and 18 (2B). People type it with spaces: they are ignored.

A NIR never leaves this module in clear except to be encrypted (``cpf.core.crypto``) or hashed
for look-up; what a person sees is ``mask``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.views.decorators.debug import sensitive_variables
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fr import nir as stdnum_nir

from cpf.core.crypto import keyed_hash
from cpf.core.errors import BusinessError

# Month field values other than 01-12 exist for people whose birth month is unknown (20-42,
# 50-99): they cannot be checked against a date of birth.
KNOWN_MONTHS = range(1, 13)


class InvalidNir(BusinessError, ValueError):
    """A French message saying what is wrong with the number typed."""

    code = "invalid_nir"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="nir")


@dataclass(frozen=True)
class Nir:
    value: str  # compact, 15 characters

    @property
    def sex_digit(self) -> str:
        return self.value[0]

    @property
    def birth_year_2(self) -> int:
        return int(self.value[1:3])

    @property
    def birth_month(self) -> int:
        return int(self.value[3:5])

    @property
    def lookup_hash(self) -> str:
        return keyed_hash(self.value)

    @property
    def masked(self) -> str:
        return mask(self.value)

    def __repr__(self) -> str:  # never print a NIR in clear, even in a traceback
        return f"Nir({self.masked})"

    __str__ = __repr__


@sensitive_variables("text", "compact")
def parse_nir(text: str) -> Nir:
    """Check the format and the control key; returns the compact number."""
    compact = "".join(text.split()).upper()
    if len(compact) != 15:
        raise InvalidNir("Le numéro de sécurité sociale compte 15 caractères (clé comprise).")
    if compact[0] not in "12378":
        raise InvalidNir("Le numéro de sécurité sociale commence par 1, 2, 3, 7 ou 8.")
    try:
        return Nir(stdnum_nir.validate(compact))
    except InvalidChecksum as exc:
        raise InvalidNir(
            "La clé de contrôle ne correspond pas au numéro : vérifiez les 15 caractères."
        ) from exc
    except ValidationError as exc:
        raise InvalidNir("Le numéro de sécurité sociale ne contient que des chiffres (et 2A/2B).") from exc


def consistency_problems(nir: Nir, *, birth_date: datetime.date, sex: str | None = None) -> list[str]:
    """What in the NIR contradicts the date of birth (and sex, ``"1"`` man / ``"2"`` woman)."""
    problems = []
    if nir.birth_year_2 != birth_date.year % 100:
        problems.append(
            "L'année de naissance du numéro de sécurité sociale ne correspond pas à votre date de naissance."
        )
    if nir.birth_month in KNOWN_MONTHS and nir.birth_month != birth_date.month:
        problems.append(
            "Le mois de naissance du numéro de sécurité sociale ne correspond pas à votre date de naissance."
        )
    if sex is not None and nir.sex_digit in "12" and nir.sex_digit != sex:
        problems.append("Le premier chiffre du numéro de sécurité sociale ne correspond pas au sexe indiqué.")
    return problems


def mask(compact: str) -> str:
    """``185057800608436`` → ``1 85 05 •• ••• ••• 36``: enough for the person to recognise it."""
    return f"{compact[0]} {compact[1:3]} {compact[3:5]} •• ••• ••• {compact[13:15]}"
