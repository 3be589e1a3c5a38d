"""Password rule of the account holders (rule 27), as a Django password validator so that it
applies to every way a password is set (sign-up, reset, ``createsuperuser``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

MIN_LENGTH = 8


class MixedCharactersPasswordValidator:
    """Rule 27: at least 8 characters, with an upper-case letter, a lower-case letter and a
    digit. Django's own validators (common passwords, similarity to the name) run as well."""

    def __init__(self, min_length: int = MIN_LENGTH) -> None:
        self.min_length = min_length

    def validate(self, password: str, user=None) -> None:
        missing = []
        if len(password) < self.min_length:
            missing.append(f"au moins {self.min_length} caractères")
        if not any(char.isupper() for char in password):
            missing.append("une lettre majuscule")
        if not any(char.islower() for char in password):
            missing.append("une lettre minuscule")
        if not any(char.isdigit() for char in password):
            missing.append("un chiffre")
        if missing:
            raise ValidationError(
                "Le mot de passe doit contenir " + _join_french(missing) + ".",
                code="password_rule_27",
            )

    def get_help_text(self) -> str:
        return (
            f"Au moins {self.min_length} caractères, dont une lettre majuscule, "
            "une lettre minuscule et un chiffre."
        )


def _join_french(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " et " + parts[-1]
