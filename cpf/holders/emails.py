"""E-mails sent to holders: rendered here, sent by the worker (``cpf.core.mail.send_later``),
whose job is committed with the service's transaction: no e-mail goes out for a sign-up that
was rolled back.

A sign-up answers every person with the same page (docs/adr/0008); these e-mails are where
each owner of an address concerned learns what happened: the activation link, an attempt on
their number, an access that already exists for their address, or an access that could not be
created (without saying why, nor whether the number is known)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.urls import reverse

from cpf.accounts.models import User
from cpf.accounts.tokens import email_confirmation_token, encode_uid
from cpf.core.mail import send_later

from .models import Holder


def send_activation_email(*, holder: Holder, site_url: str) -> None:
    """The link that confirms the address given at sign-up (rule 27)."""
    user = _login_of(holder)
    context = {"holder": holder, "activation_url": _activation_url(user, site_url), **_common(site_url)}
    _send("activation", context, to=user.email)


def send_sign_up_attempt_notice(*, holder: Holder, attempted_at: datetime.datetime, site_url: str) -> None:
    """To the address of the login a NIR already has: someone tried to create an access with
    that number. If it was them: log in, reset the password, or (a login never confirmed)
    follow a new activation link."""
    user = _login_of(holder)
    context = {
        "holder": holder,
        "attempted_at": attempted_at,
        "awaiting_confirmation": not user.is_active and not user.email_confirmed,
        "disabled": not user.is_active and user.email_confirmed,
        **_common(site_url),
    }
    if context["awaiting_confirmation"]:
        context["activation_url"] = _activation_url(user, site_url)
    elif user.is_active:
        context["reset_url"] = _password_reset_url(user, site_url)
    _send("sign_up_attempt", context, to=user.email)


def send_address_already_used(*, user: User, attempted_at: datetime.datetime, site_url: str) -> None:
    """To an address that is already a login's, typed in a sign-up: an access already exists
    for it; a holder gets the way back in (a password reset link), anyone else is asked to
    choose another address for a personal access."""
    holder = getattr(user, "holder", None)
    context = {"holder": holder, "attempted_at": attempted_at, **_common(site_url)}
    if holder is not None and user.has_usable_password() and (user.is_active or not user.email_confirmed):
        context["reset_url"] = _password_reset_url(user, site_url)
    _send("address_already_used", context, to=user.email)


def send_sign_up_not_completed(*, email: str, attempted_at: datetime.datetime, site_url: str) -> None:
    """To the address typed in a sign-up that created nothing (the identity typed is not the
    one known for the number, or the number already has an access): what may have gone wrong
    and what to do, without saying which it was."""
    _send("sign_up_not_completed", {"attempted_at": attempted_at, **_common(site_url)}, to=email)


def _login_of(holder: Holder) -> User:
    if holder.user is None:
        raise ValueError(f"Le titulaire n° {holder.pk} n'a pas de compte de connexion.")
    return holder.user


def _common(site_url: str) -> dict[str, object]:
    site = site_url.rstrip("/")
    return {
        "site_url": site,
        "login_url": site + reverse("www:holder:login"),
        "password_reset_page_url": site + reverse("www:holder:password_reset"),
        "sign_up_url": site + reverse("www:holder:sign_up"),
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }


def _activation_url(user: User, site_url: str) -> str:
    path = reverse(
        "www:holder:activate",
        kwargs={"uidb64": encode_uid(user), "token": email_confirmation_token.make_token(user)},
    )
    return site_url.rstrip("/") + path


def _password_reset_url(user: User, site_url: str) -> str:
    """The same link as the "Mot de passe oublié" page sends (it also confirms an address
    never confirmed, ``services.complete_password_reset``)."""
    token = default_token_generator.make_token(user)
    path = reverse("www:holder:password_reset_confirm", kwargs={"uidb64": encode_uid(user), "token": token})
    return site_url.rstrip("/") + path


def _send(name: str, context: dict[str, object], *, to: str) -> None:
    subject = render_to_string(f"holders/emails/{name}_subject.txt", context).strip()
    body = render_to_string(f"holders/emails/{name}_body.txt", context)
    send_later(subject=subject, body=body, to=[to])
