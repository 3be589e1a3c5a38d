"""Authentication of the members of providers and funders by e-mail address and password."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.views.decorators.debug import sensitive_variables

from .enums import UserKind
from .models import User

MEMBER_KINDS = (UserKind.PROVIDER_MEMBER, UserKind.FUNDER_MEMBER)


class MemberEmailBackend(ModelBackend):
    """Finds the member by address (any case: addresses are unique ignoring case), then checks
    the password. Holders (NIR) and agents (username and second factor) never log in here."""

    @sensitive_variables("password")
    def authenticate(self, request, email: str | None = None, password: str | None = None, **kwargs):
        if email is None or password is None:
            return None
        user = User.objects.filter(email__iexact=email.strip(), kind__in=MEMBER_KINDS).first()
        if user is None:
            # Hash the password anyway: the answer takes as long whether the address is known or not.
            User().set_password(password)
            return None
        if not user.check_password(password):
            return None
        return user
