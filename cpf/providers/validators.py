"""Checks of the identifiers a training organisation gives (rule 24), with French messages:
each returns the compact form or raises ``InvalidIdentifier``."""

from __future__ import annotations

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.fr import siret as stdnum_siret

from cpf.core.errors import BusinessError
from cpf.core.text import fold


class InvalidIdentifier(BusinessError):
    """A SIRET, NDA or IBAN that cannot be right; the caller names the field."""

    code = "invalid_identifier"


def normalise_digits(value: str) -> str:
    return "".join(value.split())


def validate_siret(value: str) -> str:
    """A SIRET is 14 digits with a valid Luhn key (La Poste's establishments excepted, as
    python-stdnum knows). Returns the compact form."""
    compact = normalise_digits(value)
    if not compact.isdigit() or len(compact) != 14:
        raise InvalidIdentifier("Le SIRET doit compter 14 chiffres.", code="siret_format")
    if not stdnum_siret.is_valid(compact):
        raise InvalidIdentifier(
            "Ce SIRET n'est pas valide : vérifiez les 14 chiffres (clé de contrôle incorrecte).",
            code="siret_checksum",
        )
    return compact


def validate_nda(value: str) -> str:
    """The activity declaration number (NDA) has 11 digits."""
    compact = normalise_digits(value)
    if not compact.isdigit() or len(compact) != 11:
        raise InvalidIdentifier(
            "Le numéro de déclaration d'activité doit compter 11 chiffres.", code="nda_format"
        )
    return compact


def validate_iban(value: str) -> str:
    """An IBAN with a valid checksum and bank code; returns the compact upper-case form."""
    try:
        return IBAN(value).compact
    except SchwiftyException as exc:
        raise InvalidIdentifier(
            "Cet IBAN n'est pas valide : vérifiez-le sur votre relevé d'identité bancaire.",
            code="iban_invalid",
        ) from exc


def same_name(left: str, right: str) -> bool:
    return fold(left) == fold(right)
