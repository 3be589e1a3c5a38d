"""Login throttling and lock-out (DESIGN.md section 5) through django-axes.

Axes counts failed logins per *username* and IP address. For holders the username is the
NIR's keyed hash, never the NIR itself: the clear number is not written to axes' tables nor to
its log lines. The web login and the mobile app's token login pass ``nir_hash`` to
``django.contrib.auth.authenticate``, so both share the same counters and the same lock.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from cpf.core.crypto import keyed_hash


def login_key(typed_nir: str) -> str:
    """The name a login attempt is counted under: the keyed hash of the number typed (spaces
    removed), equal to ``Holder.nir_hash`` when the number is a holder's."""
    return keyed_hash("".join(typed_nir.split()).upper())


def axes_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the NIR hash for holders, the username for agents."""
    if credentials:
        return credentials.get("nir_hash") or credentials.get("email") or credentials.get("username")
    data = getattr(request, "POST", {})
    if data.get("nir"):
        return login_key(data["nir"])
    return data.get("email") or data.get("username")


def client_ip(request: HttpRequest) -> str:
    """``AXES_CLIENT_IP_CALLABLE``: the address of the client. Behind ``TRUSTED_PROXY_COUNT``
    reverse proxies, each appending to ``X-Forwarded-For``, the client is the entry that many
    places from the right; anything further left may be forged by the client."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def attempts_left(request: HttpRequest) -> int | None:
    """After a failed login: how many more failures lock the account (None if unknown)."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return None
    return max(settings.AXES_FAILURE_LIMIT - failures, 0)


def clear_login_failures(*, nir_hash: str, ip_address: str | None = None) -> None:
    """Forget the failed attempts on an account: after a successful login from that address,
    or everywhere once the holder has reset the password by e-mail (the way out of a lock)."""
    from axes.utils import reset

    reset(ip=ip_address, username=nir_hash)


def locked_out_message() -> str:
    """What a locked-out person reads, on the site and in the API."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (
        "Trop de tentatives de connexion ont échoué : par sécurité, la connexion à ce compte est "
        f"bloquée depuis cet appareil pendant {minutes} minutes. Pour la débloquer tout de suite, "
        "réinitialisez votre mot de passe : un lien vous est envoyé par e-mail."
    )
