"""The webhooks' signature: what a receiver accepts and what it must refuse."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from cpf.sandbox_psp.signatures import InvalidSignature, compute_signature, sign, verify_signature
from tests.clock import NOW

SECRET = "whsec_test_secret"
BODY = b'{"id":"evt_1","type":"payment_intent.succeeded"}'
T = int(NOW.timestamp())


def test_a_signature_is_the_hmac_of_the_timestamp_and_the_raw_body():
    # Computed independently: HMAC-SHA256("whsec_test_secret", "<t>.<body>").
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET, timestamp=T) == f"t={T},v1={expected}"


def test_a_genuine_delivery_is_accepted_within_the_tolerance():
    header = sign(BODY, SECRET, timestamp=T)
    assert verify_signature(BODY, header, SECRET, now=T + 300) == T
    assert verify_signature(BODY, header, SECRET, now=T - 300) == T


def test_a_tampered_body_is_refused():
    header = sign(BODY, SECRET, timestamp=T)
    with pytest.raises(InvalidSignature):
        verify_signature(BODY.replace(b"succeeded", b"canceled"), header, SECRET, now=T)


def test_a_signature_made_with_another_secret_is_refused():
    header = sign(BODY, "whsec_someone_else", timestamp=T)
    with pytest.raises(InvalidSignature):
        verify_signature(BODY, header, SECRET, now=T)


def test_a_replayed_timestamp_cannot_be_moved_forward():
    header = sign(BODY, SECRET, timestamp=T).replace(f"t={T}", f"t={T + 1000}")
    with pytest.raises(InvalidSignature):
        verify_signature(BODY, header, SECRET, now=T + 1000)


@pytest.mark.parametrize("delay", [301, -301, 3600])
def test_a_delivery_too_old_or_from_the_future_is_refused(delay):
    header = sign(BODY, SECRET, timestamp=T)
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify_signature(BODY, header, SECRET, now=T + delay)


def test_the_tolerance_can_be_narrowed():
    header = sign(BODY, SECRET, timestamp=T)
    with pytest.raises(InvalidSignature):
        verify_signature(BODY, header, SECRET, now=T + 61, tolerance=60)


@pytest.mark.parametrize("header", ["", "v1=abc", f"t={T}", f"t=soon,v1={'0' * 64}", "garbage"])
def test_a_malformed_header_is_refused(header):
    with pytest.raises(InvalidSignature):
        verify_signature(BODY, header, SECRET, now=T)


def test_one_matching_signature_among_several_is_enough_during_a_secret_rotation():
    old = compute_signature(BODY, "whsec_old", timestamp=T)
    current = compute_signature(BODY, SECRET, timestamp=T)
    header = f"t={T},v1={old},v1={current}"
    assert verify_signature(BODY, header, SECRET, now=T) == T
