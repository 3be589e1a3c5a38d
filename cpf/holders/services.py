"""Operations on holders' accounts."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from .models import Holder
from .nir import Nir


def get_or_create_holder(*, nir: Nir) -> tuple[Holder, bool]:
    """The account of this NIR, created empty if no declaration or sign-up has named it yet.
    Safe when two processes ask at once: the unique hash lets one insert win."""
    existing = Holder.objects.for_nir(nir).first()
    if existing is not None:
        return existing, False
    holder = Holder()
    holder.set_nir(nir)
    try:
        with transaction.atomic():
            holder.save()
    except IntegrityError:
        return Holder.objects.for_nir(nir).get(), False
    return holder, True
