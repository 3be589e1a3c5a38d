"""Key rotation of the encrypted NIRs (rule 27, DESIGN.md section 5)."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.test import override_settings

from cpf.core import crypto
from cpf.holders.models import Holder
from cpf.holders.nir import parse_nir
from cpf.holders.services import get_or_create_holder

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
NIR = "185057505600116"


@pytest.fixture(autouse=True)
def fresh_keys():
    crypto.reset_caches()
    yield
    crypto.reset_caches()


def with_keys(*keys: str):
    crypto.reset_caches()
    return override_settings(FIELD_ENCRYPTION_KEYS=list(keys))


@pytest.mark.django_db
def test_rotation_re_encrypts_every_nir_so_that_the_old_key_can_be_removed():
    # given a holder whose NIR was encrypted with the old key
    with with_keys(OLD_KEY):
        holder, _ = get_or_create_holder(nir=parse_nir(NIR))
    lookup_hash = holder.nir_hash

    # when the new key is put first and the rotation runs
    out = StringIO()
    with with_keys(NEW_KEY, OLD_KEY):
        call_command("rotate_encryption_keys", stdout=out)

    # then the NIR reads with the new key alone, and the look-up hash is unchanged
    with with_keys(NEW_KEY):
        holder = Holder.objects.get(pk=holder.pk)
        assert holder.nir.value == NIR
        assert holder.nir_hash == lookup_hash
        assert Holder.objects.for_nir(parse_nir(NIR)).get() == holder
    assert out.getvalue() == "1 NIR rechiffrés avec la clé la plus récente.\n"


@pytest.mark.django_db
def test_without_rotation_removing_the_old_key_makes_the_nir_unreadable():
    with with_keys(OLD_KEY):
        holder, _ = get_or_create_holder(nir=parse_nir(NIR))

    with with_keys(NEW_KEY), pytest.raises(InvalidToken):
        Holder.objects.get(pk=holder.pk).nir  # noqa: B018
