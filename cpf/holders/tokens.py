"""Signed links sent by e-mail: the activation link that confirms a holder's address (rule 27).

Built like Django's password-reset tokens (HMAC of the user's state and a timestamp, valid
``PASSWORD_RESET_TIMEOUT`` seconds, three days by default) with their own salt, and bound to
``is_active`` and the address: once the address is confirmed, or changed, the link is spent.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "cpf.holders.tokens.ActivationTokenGenerator"

    def _make_hash_value(self, user, timestamp: int) -> str:
        return f"{user.pk}{user.password}{user.is_active}{user.email}{timestamp}"


activation_token = ActivationTokenGenerator()


def encode_uid(user) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def user_from_uid(uidb64: str):
    """The login a link's ``uidb64`` names, or None for anything malformed or unknown."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return get_user_model()._default_manager.filter(pk=pk).select_related("holder").first()
