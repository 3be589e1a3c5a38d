"""Holders with or without a login, valid NIRs and terms of use, for the tests of accounts,
the holder's pages and the API."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model

from cpf.accounts.enums import UserKind
from cpf.holders.models import Holder, TermsAcceptance, TermsVersion
from cpf.holders.nir import Nir, parse_nir
from tests.clock import NOW, TODAY

PASSWORD = "Formation2026"


def make_nir(*, sex: str = "1", birth: datetime.date = datetime.date(1985, 5, 14), serial: int = 84) -> str:
    """A valid NIR (control key computed) born in Yvelines (78), commune 006."""
    body = f"{sex}{birth.year % 100:02d}{birth.month:02d}78006{serial:03d}"
    return f"{body}{97 - int(body) % 97:02d}"


NIR = make_nir()  # 185057800608491
OTHER_NIR = make_nir(sex="2", birth=datetime.date(1990, 12, 3), serial=123)


def spaced(nir: str) -> str:
    """As people type it: ``1 85 05 78 006 084 91``."""
    return f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"


class TermsVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TermsVersion

    version = factory.Sequence(lambda n: f"T{n}")
    in_force_from = TODAY  # in force at the tests' NOW (and newer than the migration's version 1.0)
    text = "Texte des conditions de test."


class HolderFactory(factory.django.DjangoModelFactory):
    """An account created by employers' declarations: no login yet."""

    class Meta:
        model = Holder

    nir = NIR  # popped by _create: the model only takes it through set_nir
    birth_name = ""
    first_names = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        nir: str = kwargs.pop("nir")
        holder = model_class(*args, **kwargs)
        holder.set_nir(parse_nir(nir))
        holder.save()
        return holder


def holder_with_login(
    *,
    nir: str = NIR,
    email: str = "camille.martin@example.fr",
    password: str = PASSWORD,
    active: bool = True,
    accepted: TermsVersion | None = None,
    birth_date: datetime.date = datetime.date(1985, 5, 14),
) -> Holder:
    """A holder who signed up: login, confirmed address (unless ``active=False``), and the
    given terms accepted."""
    holder = Holder.objects.filter(nir_hash=Nir(nir).lookup_hash).first() or HolderFactory(nir=nir)
    user = get_user_model().objects.create_user(
        username=f"titulaire-{holder.pk}",
        kind=UserKind.HOLDER,
        email=email,
        password=password,
        is_active=active,
        email_confirmed_at=NOW if active else None,
    )
    holder.user = user
    holder.birth_name = "MARTIN"
    holder.first_names = "Camille"
    holder.birth_date = birth_date
    holder.save()
    if accepted is not None:
        TermsAcceptance.objects.create(holder=holder, terms=accepted, accepted_at=NOW)
    return holder
