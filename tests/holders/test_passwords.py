"""Passwords: rule 27 as a Django validator, Argon2 as the hasher."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.core.exceptions import ValidationError

from cpf.holders.validators import MixedCharactersPasswordValidator


@pytest.mark.parametrize("password", ["Formation2026", "aB3aaaaa", "Éléphant9"])
def test_a_password_with_eight_characters_upper_lower_and_digit_passes(password):
    MixedCharactersPasswordValidator().validate(password)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("aB3aaaa", "Le mot de passe doit contenir au moins 8 caractères."),
        ("formation2026", "Le mot de passe doit contenir une lettre majuscule."),
        ("FORMATION2026", "Le mot de passe doit contenir une lettre minuscule."),
        ("Formation", "Le mot de passe doit contenir un chiffre."),
        ("12345678", "Le mot de passe doit contenir une lettre majuscule et une lettre minuscule."),
        ("abc", "Le mot de passe doit contenir au moins 8 caractères, une lettre majuscule et un chiffre."),
    ],
)
def test_a_password_missing_something_is_refused_saying_what(password, message):
    with pytest.raises(ValidationError) as refused:
        MixedCharactersPasswordValidator().validate(password)

    assert refused.value.messages == [message]


def test_the_rule_is_installed_with_djangos_validators():
    from config.settings import base

    names = [validator["NAME"] for validator in base.AUTH_PASSWORD_VALIDATORS]
    assert names[-1] == "cpf.holders.validators.MixedCharactersPasswordValidator"
    assert "django.contrib.auth.password_validation.CommonPasswordValidator" in names


def test_passwords_are_hashed_with_argon2_outside_the_tests(settings):
    from config.settings import base

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS

    encoded = make_password("Formation2026")

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert encoded.startswith("argon2$argon2id$")
    assert identify_hasher(encoded).algorithm == "argon2"
