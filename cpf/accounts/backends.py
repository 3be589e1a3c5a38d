"""Authentication of the members of providers and funders (e-mail address and password) and of
the operator's agents (username and password; the back-office then asks their second factor).

Each backend finds only its own audience: a holder's login (username ``titulaire-<id>``) or a
member's is never authenticated by a username, so the back-office's door opens to no one but
agents (docs/adr/0011). Holders log in through ``cpf.holders.backends.NirBackend``."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.views.decorators.debug import sensitive_variables

from .enums import UserKind
from .models import User

MEMBER_KINDS = (UserKind.PROVIDER_MEMBER, UserKind.FUNDER_MEMBER)


def _hash_anyway(password: str) -> None:
    """Hash the password of nobody: the answer takes as long whether the login exists or not."""
    User().set_password(password)


class MemberEmailBackend(ModelBackend):
    """Finds the member by address (any case: addresses are unique ignoring case), then checks
    the password. Returns the login even when inactive or unconfirmed, so that the login can say
    why it is refused; sessions of inactive logins are still refused by ``get_user``."""

    @sensitive_variables("password")
    def authenticate(self, request, email: str | None = None, password: str | None = None, **kwargs):
        if email is None or password is None:
            return None
        user = User.objects.filter(email__iexact=email.strip(), kind__in=MEMBER_KINDS).first()
        if user is None:
            _hash_anyway(password)
            return None
        if not user.check_password(password):
            return None
        return user


class AgentBackend(ModelBackend):
    """Agents by username and password (active logins only). Anything else typed as a username,
    such as a holder's ``titulaire-<id>``, is an unknown agent."""

    @sensitive_variables("password")
    def authenticate(self, request, username: str | None = None, password: str | None = None, **kwargs):
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username, kind=UserKind.AGENT).first()
        if user is None:
            _hash_anyway(password)
            return None
        if not user.check_password(password) or not self.user_can_authenticate(user):
            return None
        return user
