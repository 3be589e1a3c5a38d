"""The sandbox provider's JSON API, on Stripe's contract: bearer secret key, ``Idempotency-Key``,
errors as ``{"error": {"type", "code", "message"}}``."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from cpf.core import clock

from . import cards, services
from .models import IdempotencyRecord, PaymentIntent
from .representations import intent_as_dict, refund_as_dict
from .services import PspError

MAX_IDEMPOTENCY_KEY_LENGTH = 255


def error_response(
    status: int, *, code: str, message: str, type: str = "invalid_request_error", **extra: Any
) -> JsonResponse:
    return JsonResponse({"error": {"type": type, "code": code, "message": message, **extra}}, status=status)


def authenticated(request: HttpRequest) -> bool:
    """The bearer key compared in constant time; no key configured lets nobody in."""
    expected = settings.SANDBOX_PSP_SECRET_KEY
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(expected)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.encode(), expected.encode())
    )


def json_body(request: HttpRequest) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        raise PspError("parameter_invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise PspError("parameter_invalid_json", "The request body must be a JSON object.")
    return body


def fingerprint(request: HttpRequest) -> str:
    """Method, path and raw body: what makes two requests under one key the same request."""
    digest = hashlib.sha256()
    digest.update(f"{request.method}\0{request.path}\0".encode())
    digest.update(request.body)
    return digest.hexdigest()


def endpoint(handler: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """Authentication, the domain's refusals as Stripe's errors, and idempotent replays."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> JsonResponse:
        if not authenticated(request):
            return error_response(401, code="invalid_api_key", message="Invalid API key provided.")

        def answer() -> JsonResponse:
            try:
                return handler(request, **kwargs)
            except PspError as error:
                return error_response(
                    error.status_code, code=error.code, message=error.message, type=error.type
                )

        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or key is None:
            return answer()
        return idempotent(request, key, answer)

    return view


def idempotent(request: HttpRequest, key: str, answer: Callable[[], JsonResponse]) -> JsonResponse:
    """The first answer under ``key`` is stored and replayed; a concurrent repeat waits on the
    key's unique index until the first commits, then replays it too."""
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        return error_response(
            400, code="idempotency_key_invalid", message="Idempotency-Key must have 1 to 255 characters."
        )
    request_fingerprint = fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    key=key,
                    fingerprint=request_fingerprint,
                    status_code=0,
                    body={},
                    created_at=clock.now(),
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.get(key=key)
            if not hmac.compare_digest(record.fingerprint, request_fingerprint):
                return error_response(
                    400,
                    code="idempotency_key_in_use",
                    message="This Idempotency-Key was first used with other parameters.",
                    type="idempotency_error",
                )
            replay = JsonResponse(record.body, status=record.status_code)
            replay["Idempotent-Replayed"] = "true"
            return replay
        response = answer()
        record.status_code = response.status_code
        record.body = json.loads(response.content)
        record.save(update_fields=["status_code", "body"])
        return response


def card_from(body: dict[str, Any]) -> cards.Card:
    card = body.get("card")
    if not isinstance(card, dict):
        raise PspError("parameter_missing", "card (number, exp_month, exp_year, cvc) is required.")
    try:
        return cards.Card(
            number=str(card["number"]),
            exp_month=int(card["exp_month"]),
            exp_year=int(card["exp_year"]),
            cvc=str(card["cvc"]),
        )
    except (KeyError, TypeError, ValueError):
        raise PspError("parameter_invalid", "card needs number, exp_month, exp_year and cvc.") from None


@endpoint
def payment_intents(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return error_response(405, code="method_not_allowed", message="Use POST.")
    body = json_body(request)
    intent = services.create_intent(
        amount_cents=body.get("amount"),  # type: ignore[arg-type]  # checked by the service
        currency=body.get("currency", services.CURRENCY),
        metadata=body.get("metadata"),
        now=clock.now(),
    )
    return JsonResponse(intent_as_dict(intent))


@endpoint
def payment_intent(request: HttpRequest, intent_id: str) -> JsonResponse:
    if request.method != "GET":
        return error_response(405, code="method_not_allowed", message="Use GET.")
    intent = PaymentIntent.objects.filter(public_id=intent_id).first()
    if intent is None:
        raise services.NotFound("resource_missing", f"No such payment_intent: {intent_id}")
    return JsonResponse(intent_as_dict(intent))


@endpoint
def confirm(request: HttpRequest, intent_id: str) -> JsonResponse:
    """Stripe answers a declined card with 402 and the intent inside the error."""
    if request.method != "POST":
        return error_response(405, code="method_not_allowed", message="Use POST.")
    intent = services.confirm_intent(intent_id=intent_id, card=card_from(json_body(request)), now=clock.now())
    if intent.last_error_code:
        return error_response(
            402,
            type="card_error",
            code=intent.last_error_code,
            message="The card was declined.",
            payment_intent=intent_as_dict(intent),
        )
    return JsonResponse(intent_as_dict(intent))


@endpoint
def cancel(request: HttpRequest, intent_id: str) -> JsonResponse:
    if request.method != "POST":
        return error_response(405, code="method_not_allowed", message="Use POST.")
    return JsonResponse(intent_as_dict(services.cancel_intent(intent_id=intent_id, now=clock.now())))


@endpoint
def refunds(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return error_response(405, code="method_not_allowed", message="Use POST.")
    body = json_body(request)
    intent_id = body.get("payment_intent")
    if not isinstance(intent_id, str):
        raise PspError("parameter_missing", "payment_intent is required.")
    refund = services.create_refund(
        intent_id=intent_id,
        amount_cents=body.get("amount"),
        metadata=body.get("metadata"),
        now=clock.now(),
    )
    return JsonResponse(refund_as_dict(refund))
