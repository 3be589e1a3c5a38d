"""Authentication of holders by NIR and password (rule 27; docs/adr/0004)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.views.decorators.debug import sensitive_variables

from .models import Holder


class NirBackend(ModelBackend):
    """Finds the holder by the keyed hash of the NIR typed, then checks the password of the
    login linked to it. Returns the login even when it is inactive (e-mail not confirmed yet)
    so that the login form can say so; sessions of inactive logins are still refused by
    ``get_user`` (``ModelBackend.user_can_authenticate``)."""

    @sensitive_variables("password")
    def authenticate(self, request, nir_hash: str | None = None, password: str | None = None, **kwargs):
        if nir_hash is None or password is None:
            return None
        holder = Holder.objects.select_related("user").filter(nir_hash=nir_hash, user__isnull=False).first()
        if holder is None:
            # Hash the password anyway: the answer takes as long whether the NIR is known or not.
            get_user_model()().set_password(password)
            return None
        if not holder.user.check_password(password):
            return None
        return holder.user
