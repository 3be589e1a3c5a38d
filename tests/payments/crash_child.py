"""A process of the product killed -9 at a chosen point (tests/payments/test_crash.py): run as
``python -m tests.payments.crash_child STEP REGISTRATION_ID NOW`` on the test database, it does
its work through the sandbox in-process, and when the provider has answered the call named by
``STEP`` it prints ``REACHED`` and waits to be killed, before recording anything of the answer.

- ``checkout``: the holder's acceptance, killed once the provider created the intent (the
  reservation is committed, the payment row knows nothing of the intent);
- ``recovery``: the worker's recovery, killed once it re-read a paid intent (the settlement's
  transaction not yet committed)."""

from __future__ import annotations

import datetime
import os
import sys
import time

import django


def main() -> None:
    step, registration_id, at = sys.argv[1], int(sys.argv[2]), datetime.datetime.fromisoformat(sys.argv[3])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()

    from cpf.bookings.checkout import recover_payments, start_checkout
    from cpf.bookings.models import Registration
    from cpf.payments.providers import get_provider

    provider = get_provider()
    inner = provider.transport  # type: ignore[attr-defined]
    watched = {"checkout": ("POST", "/v1/payment_intents"), "recovery": ("GET", "/v1/payment_intents/")}[step]

    def transport(method, url, headers, body):
        answer = inner(method, url, headers, body)
        if method == watched[0] and watched[1] in url and not url.endswith("/cancel"):
            print("REACHED", flush=True)
            time.sleep(600)
        return answer

    provider.transport = transport  # type: ignore[attr-defined]
    if step == "checkout":
        registration = Registration.objects.get(pk=registration_id)
        start_checkout(
            registration=registration,
            holder=registration.holder,
            now=at,
            return_url=lambda: "/r/",
            provider=provider,
        )
    else:
        recover_payments(now=at, provider=provider)


if __name__ == "__main__":
    main()
