"""Signed links sent by e-mail: the link that confirms a login's address, for every kind of
login (rule 27 for holders, for whom it also activates the login).

Built like Django's password-reset tokens (HMAC of the login's state and a timestamp, valid
``PASSWORD_RESET_TIMEOUT`` seconds, three days by default) with their own salt, and bound to
the password, ``is_active``, the address and its confirmation date: once the address is
confirmed, or changed, the link is spent.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "cpf.accounts.tokens.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp: int) -> str:
        confirmed = "" if user.email_confirmed_at is None else user.email_confirmed_at.isoformat()
        return f"{user.pk}{user.password}{user.is_active}{user.email}{confirmed}{timestamp}"


email_confirmation_token = EmailConfirmationTokenGenerator()


def encode_uid(user) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def user_from_uid(uidb64: str):
    """The login a link's ``uidb64`` names, or None for anything malformed or unknown."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return get_user_model()._default_manager.filter(pk=pk).first()


def user_of_link(uidb64: str, token: str, *, kinds) -> object | None:
    """The login of this confirmation link, if the link is genuine, unspent, unexpired and names
    a login of one of these kinds; None otherwise, with no way to tell why (an unknown login, a
    confirmed one and a forged token look the same)."""
    user = user_from_uid(uidb64)
    if user is None or user.kind not in kinds:
        # Check a token anyway: the answer takes as long whether the login exists or not.
        email_confirmation_token.check_token(get_user_model()(pk=0, password=""), token)
        return None
    if not email_confirmation_token.check_token(user, token):
        return None
    return user
