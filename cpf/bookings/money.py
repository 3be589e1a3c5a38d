"""The money of a registration file: the price split at acceptance (rules 10 to 12), the
acceptance in steps around the card payment, and the settlements of cancellations and of the
service done (rules 13, 19 to 22). docs/adr/0013-the-money-of-a-registration-file.md.

Where the file's money is, at any time, is on the file and in the ledger alike:
``reserved_cents`` in the holder's reserved account (rights, grants and credit note reserved at
acceptance), ``card_held_cents`` in card clearing (the card part and the flat participation,
captured, not yet passed on), ``provider_due_cents`` in the provider's payable.
``provider_overpaid_cents`` in the provider's receivable (an advance paid beyond what the
settlement gave the provider, docs/adr/0020). ``reconcile_ledger`` proves both sides agree.

Lock order: the file, then the holder's accounts and the provider's payable in ascending id
order (``cpf.ledger.services``). Keys: ``registration:<id>:<step>[:<n>]``; a card capture
``psp:<reference>``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from cpf.core import audit, parameters
from cpf.core.calendar import paris_day
from cpf.core.money import format_euros, prorata_cents
from cpf.holders.models import Holder
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.models import Account
from cpf.ledger.services import (
    Posting,
    holder_credit_note_account,
    holder_reserved_account,
    lock_holder_accounts,
    post_transaction,
    provider_payable_account,
    provider_receivable_account,
    system_account,
)
from cpf.rights.enums import FunderKind
from cpf.rights.models import Grant

from . import emails
from .enums import FlatParticipationExemption, PaymentState, RegistrationStatus
from .models import CardRefundDue, Registration

S = RegistrationStatus
# Rule 12: holders with a work-injury or occupational-disease incapacity of at least 10 % pay no
# flat participation (not marked configurable in the rules).
WORK_INJURY_EXEMPTION_PERCENT = 10


@dataclass(frozen=True)
class GrantPart:
    grant_id: int
    account_id: int
    funder_name: str
    amount_cents: int


@dataclass(frozen=True)
class PriceSplit:
    """What pays the price, in the spending order of rule 10: the holder's rights, then grants
    (earmarked for the file's certification first, then free ones), then the credit note, then
    the card for the rest; plus the flat participation (rule 11) in force on the acceptance day,
    0 when ``exemption`` (rule 12) applies. The card pays ``card_total_cents``."""

    price_cents: int
    rights_cents: int
    grants: tuple[GrantPart, ...]
    credit_note_cents: int
    card_cents: int
    flat_participation_cents: int
    exemption: str | None

    @property
    def card_total_cents(self) -> int:
        return self.card_cents + self.flat_participation_cents

    @property
    def grants_cents(self) -> int:
        return sum(part.amount_cents for part in self.grants)

    @property
    def reserved_cents(self) -> int:
        """What the reservation takes from the holder's accounts."""
        return self.rights_cents + self.grants_cents + self.credit_note_cents

    def as_json(self) -> dict[str, Any]:
        return {
            "price_cents": self.price_cents,
            "rights_cents": self.rights_cents,
            "grants": [vars(part) for part in self.grants],
            "credit_note_cents": self.credit_note_cents,
            "card_cents": self.card_cents,
            "flat_participation_cents": self.flat_participation_cents,
            "exemption": self.exemption,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PriceSplit:
        return cls(
            price_cents=data["price_cents"],
            rights_cents=data["rights_cents"],
            grants=tuple(GrantPart(**part) for part in data["grants"]),
            credit_note_cents=data["credit_note_cents"],
            card_cents=data["card_cents"],
            flat_participation_cents=data["flat_participation_cents"],
            exemption=data["exemption"],
        )


def split_of(registration: Registration) -> PriceSplit:
    """The split stored on the file by its last acceptance attempt."""
    if registration.split is None:
        raise ValueError(f"registration {registration.pk} has no price split")
    return PriceSplit.from_json(registration.split)


def quote_acceptance(*, registration: Registration, today: datetime.date) -> PriceSplit:
    """What accepting the file would take from each account today (read only)."""
    accounts = list(Account.objects.filter(holder_id=registration.holder_id).order_by("pk"))
    return _split(registration, accounts, today=today)


def _split(registration: Registration, accounts: list[Account], *, today: datetime.date) -> PriceSplit:
    balances = {account.pk: account.balance_cents or 0 for account in accounts}
    by_kind = {account.kind: account for account in accounts if account.kind != AccountKind.HOLDER_GRANT}
    rest = registration.price_cents

    def take(available: int) -> int:
        nonlocal rest
        taken = min(rest, max(available, 0))
        rest -= taken
        return taken

    rights = by_kind.get(AccountKind.HOLDER_RIGHTS)
    rights_cents = take(balances[rights.pk]) if rights else 0
    grants = []
    grant_accounts = {account.pk for account in accounts if account.kind == AccountKind.HOLDER_GRANT}
    for grant in _usable_grants(registration, grant_accounts):
        amount = take(balances[grant.account_id])
        if amount:
            grants.append(GrantPart(grant.pk, grant.account_id, grant.funder.name, amount))
    credit_note = by_kind.get(AccountKind.HOLDER_CREDIT_NOTE)
    credit_note_cents = take(balances[credit_note.pk]) if credit_note else 0
    exemption = _exemption(registration, grants)
    flat = 0 if exemption else parameters.integer("flat_participation_cents", on=today)
    return PriceSplit(
        price_cents=registration.price_cents,
        rights_cents=rights_cents,
        grants=tuple(grants),
        credit_note_cents=credit_note_cents,
        card_cents=rest,
        flat_participation_cents=flat,
        exemption=exemption,
    )


def _usable_grants(registration: Registration, account_ids: set[int]) -> list[Grant]:
    """The holder's grants that may pay for this file (rule 10): those earmarked for its
    certification first, then those of free use, oldest first in each group."""
    if not account_ids:
        return []
    certification_id = registration.action.training.certification_id
    grants = (
        Grant.objects.filter(holder_id=registration.holder_id, account_id__in=account_ids)
        .select_related("funder")
        .prefetch_related("certifications")
        .order_by("granted_at", "pk")
    )
    earmarked, free = [], []
    for grant in grants:
        targets = {certification.pk for certification in grant.certifications.all()}
        if not targets:
            free.append(grant)
        elif certification_id in targets:
            earmarked.append(grant)
    return [*earmarked, *free]


def _exemption(registration: Registration, grants: list[GrantPart]) -> str | None:
    """The exemption of rule 12 that applies, the first in the order of the rule."""
    holder: Holder = registration.holder
    if holder.is_jobseeker:
        return FlatParticipationExemption.JOBSEEKER
    employer_grants = Grant.objects.filter(
        pk__in=[part.grant_id for part in grants], funder__kind=FunderKind.EMPLOYER
    )
    if employer_grants.exists():
        return FlatParticipationExemption.EMPLOYER_COFUNDING
    if registration.c2p_points:
        return FlatParticipationExemption.C2P_POINTS
    incapacity = holder.work_injury_incapacity_percent
    if incapacity is not None and incapacity >= WORK_INJURY_EXEMPTION_PERCENT:
        return FlatParticipationExemption.WORK_INJURY
    return None


# --- Acceptance in steps ------------------------------------------------------------------------
# The file's state machine and refusals live in ``services`` (which builds on this module):
# imported when called.


@dataclass(frozen=True)
class Reserved:
    """The file as saved by the acceptance (read with what it is shown with) and its split."""

    registration: Registration
    split: PriceSplit


def reserve_for_acceptance(
    *, registration: Registration, holder: Holder, now: datetime.datetime, savepoint: bool = True
) -> Reserved:
    """The holder accepts the proposal (rules 10 to 12, 16): their rights, grants and credit note
    are reserved (``reservation``, one per attempt) and the split stored on the file. When the
    card has nothing to pay, the file is accepted at once; otherwise the card payment is
    pending (``complete_acceptance`` or ``fail_acceptance`` follows). Refused unless the file
    is the holder's, waits for their answer, in time, with no payment already pending.
    ``savepoint=False``: the caller's block, which a refusal leaves too, is the one to roll back."""
    from . import services

    with transaction.atomic(savepoint=savepoint):
        locked = services.locked_for(registration, to=S.ACCEPTED, holder=holder, now=now, shown=True)
        if locked.payment_state == PaymentState.PENDING:
            raise services.PaymentPending(
                "Un paiement est déjà en cours pour ce dossier : terminez-le ou attendez son résultat."
            )
        split = reserve(locked, holder=holder, today=paris_day(now))
        fields = {
            "payment_attempt": locked.payment_attempt,
            "split": locked.split,
            "flat_participation_exemption": locked.flat_participation_exemption,
            "reserved_cents": locked.reserved_cents,
        }
        if split.card_total_cents:
            locked.payment_state = PaymentState.PENDING
            locked.save(update_fields=[*fields, "payment_state"])
            record_money_event(
                locked, event="registration.payment_pending", at=now, actor=holder.user, reason=""
            )
        else:
            services.MACHINE.transition(
                locked,
                to=S.ACCEPTED,
                actor=holder.user,
                reason="",
                now=now,
                fields={**fields, "payment_state": PaymentState.NONE, "deadline_at": None},
                already_locked=True,
            )
    return Reserved(registration=locked, split=split)


def complete_acceptance(
    *, registration: Registration, captured_cents: int, psp_reference: str, now: datetime.datetime
) -> Registration:
    """The card payment is verified succeeded (rule 10): it is recorded (``card_capture``) and
    the file accepted. Idempotent: a payment already recorded changes nothing. A payment the
    file no longer waits for (lapsed, cancelled, another amount) is recorded and refunded."""
    from . import services

    with transaction.atomic():
        locked = Registration.objects.select_for_update(of=("self",)).get(pk=registration.pk)
        if not capture(locked, captured_cents=captured_cents, psp_reference=psp_reference, now=now):
            return locked
        waiting = locked.status == S.VALIDATED and locked.payment_state == PaymentState.PENDING
        if waiting and captured_cents == split_of(locked).card_total_cents:
            return services.MACHINE.transition(
                locked,
                to=S.ACCEPTED,
                actor=None,
                reason="",
                now=now,
                fields={
                    "payment_state": PaymentState.PAID,
                    "card_held_cents": captured_cents,
                    "deadline_at": None,
                },
            )
        refund_due(
            locked,
            amount_cents=captured_cents,
            reason="Paiement reçu pour un dossier qui ne l'attendait pas",
            step=f"psp:{psp_reference}",
            now=now,
        )
        if waiting:
            _refuse_payment(locked, now=now, reason="Montant payé différent du montant attendu")
    return locked


def fail_acceptance(*, registration: Registration, now: datetime.datetime, reason: str) -> Registration:
    """The card payment failed or was abandoned (rule 10): nothing stays reserved, the file
    still waits for the holder ("Paiement refusé — vous pouvez réessayer"), who may try again
    until the deadline. Idempotent: a file without a pending payment is left as it is."""
    with transaction.atomic():
        locked = Registration.objects.select_for_update(of=("self",)).get(pk=registration.pk)
        if locked.payment_state == PaymentState.PENDING:
            _refuse_payment(locked, now=now, reason=reason)
    return locked


def _refuse_payment(locked: Registration, *, now: datetime.datetime, reason: str) -> None:
    release(locked, actor=None)
    locked.payment_state = PaymentState.REFUSED
    locked.save(update_fields=["payment_state", "reserved_cents"])
    record_money_event(locked, event="registration.payment_refused", at=now, actor=None, reason=reason)
    emails.notify_payment_refused(locked)


def reserve(locked: Registration, *, holder: Holder, today: datetime.date) -> PriceSplit:
    """Reserve, for the locked file, what the holder's accounts pay (one ``reservation`` per
    attempt) and store the split on the file (not saved: the caller saves or transitions)."""
    accounts = lock_holder_accounts(holder)
    if not any(account.kind == AccountKind.HOLDER_RESERVED for account in accounts):
        # Opened on the first acceptance (ON CONFLICT DO NOTHING, no error to catch), then every
        # account locked again in the ledger's order.
        holder_reserved_account(holder)
        accounts = lock_holder_accounts(holder)
    split = _split(locked, accounts, today=today)
    attempt = locked.payment_attempt + 1
    if split.reserved_cents:
        by_id = {account.pk: account for account in accounts}
        by_kind = {a.kind: a for a in accounts if a.kind != AccountKind.HOLDER_GRANT}
        entries = [Posting(by_kind[AccountKind.HOLDER_RESERVED], split.reserved_cents)]
        entries += _holder_side(split, by_kind=by_kind, by_id=by_id, sign=-1)
        post_transaction(
            kind=TransactionKind.RESERVATION,
            idempotency_key=f"registration:{locked.pk}:reserve:{attempt}",
            entries=entries,
            reference=f"registration:{locked.pk}",
            actor=holder.user,
            details={"registration_id": locked.pk, "attempt": attempt},
            locked=accounts,
        )
    locked.payment_attempt = attempt
    locked.split = split.as_json()
    locked.flat_participation_exemption = split.exemption
    locked.reserved_cents = split.reserved_cents
    return split


def release(locked: Registration, *, actor: Any) -> None:
    """Give back what the current attempt reserved (``reservation_release``, once per attempt);
    the file's ``reserved_cents`` goes to 0 (not saved)."""
    if not locked.reserved_cents:
        return
    split = split_of(locked)
    accounts = {account.pk: account for account in Account.objects.filter(holder_id=locked.holder_id)}
    by_kind = {a.kind: a for a in accounts.values() if a.kind != AccountKind.HOLDER_GRANT}
    entries = [Posting(by_kind[AccountKind.HOLDER_RESERVED], -split.reserved_cents)]
    entries += _holder_side(split, by_kind=by_kind, by_id=accounts, sign=1)
    post_transaction(
        kind=TransactionKind.RESERVATION_RELEASE,
        idempotency_key=f"registration:{locked.pk}:release:{locked.payment_attempt}",
        entries=entries,
        reference=f"registration:{locked.pk}",
        actor=actor,
        details={"registration_id": locked.pk, "attempt": locked.payment_attempt},
    )
    locked.reserved_cents = 0


def _holder_side(
    split: PriceSplit, *, by_kind: dict[str, Account], by_id: dict[int, Account], sign: int
) -> list[Posting]:
    entries = []
    if split.rights_cents:
        entries.append(Posting(by_kind[AccountKind.HOLDER_RIGHTS], sign * split.rights_cents))
    entries += [Posting(by_id[part.account_id], sign * part.amount_cents) for part in split.grants]
    if split.credit_note_cents:
        entries.append(Posting(by_kind[AccountKind.HOLDER_CREDIT_NOTE], sign * split.credit_note_cents))
    return entries


def capture(locked: Registration, *, captured_cents: int, psp_reference: str, now: datetime.datetime) -> bool:
    """Record a card payment captured for the file (``card_capture``, keyed by the payment's
    reference); ``False`` when it was already recorded (a replay: nothing to do). When the file
    does not wait for exactly this payment, the money is to be refunded (``CardRefundDue``)."""
    posted = post_transaction(
        kind=TransactionKind.CARD_CAPTURE,
        idempotency_key=f"psp:{psp_reference}",
        entries=[
            Posting(system_account(AccountKind.OPERATOR_BANK), -captured_cents),
            Posting(system_account(AccountKind.CARD_CLEARING), captured_cents),
        ],
        reference=f"registration:{locked.pk}",
        actor=None,
        details={"registration_id": locked.pk, "attempt": locked.payment_attempt},
    )
    return posted.created


def refund_due(
    locked: Registration, *, amount_cents: int, reason: str, step: str, now: datetime.datetime
) -> CardRefundDue | None:
    """Decide a refund to the holder's card (sent later by the worker), once per ``step``."""
    if amount_cents <= 0:
        return None
    refund, _ = CardRefundDue.objects.get_or_create(
        idempotency_key=f"registration:{locked.pk}:refund:{step}",
        defaults={"registration": locked, "amount_cents": amount_cents, "reason": reason, "created_at": now},
    )
    return refund


# --- Entry (rule 20) ------------------------------------------------------------------------------


def debit_at_entry(locked: Registration, *, actor: Any, entry_date: datetime.date) -> None:
    """Rule 20: at entry, what is reserved and the card part go to the provider's payable, the
    flat participation to the CPF fund; the advance for a session over 3 months is recorded as
    owed. Sets the file's money fields (not saved)."""
    split = split_of(locked)
    flat_held = split.flat_participation_cents if locked.card_held_cents else 0
    card_part = locked.card_held_cents - flat_held
    to_provider = locked.reserved_cents + card_part
    entries = [
        Posting(holder_reserved_account(locked.holder), -locked.reserved_cents),
        Posting(system_account(AccountKind.CARD_CLEARING), -locked.card_held_cents),
        Posting(provider_payable_account(locked.action.training.provider), to_provider),
        Posting(system_account(AccountKind.CPF_FUND), flat_held),
    ]
    post_transaction(
        kind=TransactionKind.ENTRY_DEBIT,
        idempotency_key=f"registration:{locked.pk}:entry",
        entries=[entry for entry in entries if entry.amount_cents],
        reference=f"registration:{locked.pk}",
        actor=actor,
        details={"registration_id": locked.pk, "entry_date": entry_date.isoformat()},
    )
    locked.reserved_cents, locked.card_held_cents = 0, 0
    locked.provider_due_cents = to_provider
    locked.advance_due_cents = advance_due(locked, on=entry_date)


def advance_due(registration: Registration, *, on: datetime.date) -> int:
    """Rule 20: a session lasting more than ``advance_min_session_months`` gives the provider an
    advance of ``advance_payment_percent`` of the price at entry."""
    values = parameters.integers(["advance_min_session_months", "advance_payment_percent"], on=on)
    if registration.end_date <= _add_months(registration.start_date, values["advance_min_session_months"]):
        return 0
    return prorata_cents(registration.price_cents, values["advance_payment_percent"], 100)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th


# --- Settlements (rules 13, 19, 22) --------------------------------------------------------------


@dataclass(frozen=True)
class Settlement:
    """How a file's money ends: ``provider_cents`` for the provider (an indemnity or its pay);
    the rest ``given_back`` (rights and grants re-credited, the card part refunded) or not
    (rights and grants lost to the CPF fund, the holder's own money kept as a credit note);
    the flat participation refunded or kept."""

    provider_cents: int
    given_back: bool
    refund_flat_participation: bool


@dataclass(frozen=True)
class Outcome:
    """What a settlement gives, in cents (``CancellationQuote`` shows it to the holder)."""

    rights_recredited_cents: int = 0
    grants_recredited: tuple[tuple[int, int], ...] = ()  # (grant account id, cents)
    credit_note_recredited_cents: int = 0
    card_refund_cents: int = 0
    flat_participation_refund_cents: int = 0
    card_kept_as_credit_note_cents: int = 0
    provider_cents: int = 0
    rights_lost_cents: int = 0
    flat_participation_kept_cents: int = 0

    @property
    def grants_recredited_cents(self) -> int:
        return sum(cents for _, cents in self.grants_recredited)


def outcome_of(registration: Registration, settlement: Settlement) -> Outcome:
    """Split the file's money between the provider (taken in the spending order: rights first)
    and the rest (given back, or lost and kept, from the card back to the rights)."""
    if registration.split is None:
        return Outcome()
    split = split_of(registration)
    entered = registration.in_training_at is not None
    card_paid = entered or registration.card_held_cents > 0
    reserved = entered or registration.reserved_cents > 0
    parts: list[tuple[str, int, int]] = []
    if reserved:
        parts.append(("rights", 0, split.rights_cents))
        parts += [("grant", part.account_id, part.amount_cents) for part in split.grants]
        parts.append(("credit_note", 0, split.credit_note_cents))
    if card_paid:
        parts.append(("card", 0, split.card_cents))
    total = sum(amount for _, _, amount in parts)
    provider = min(settlement.provider_cents, total)
    left_to_take, rest = provider, []
    for origin, account_id, amount in parts:
        taken = min(amount, left_to_take)
        left_to_take -= taken
        if amount - taken:
            rest.append((origin, account_id, amount - taken))
    back: dict[str, int] = defaultdict(int)
    grants = []
    for origin, account_id, amount in rest:
        if origin == "grant" and settlement.given_back:
            grants.append((account_id, amount))
        else:
            back[origin] += amount
    flat = split.flat_participation_cents if card_paid else 0
    refund_flat = flat if settlement.refund_flat_participation else 0
    if settlement.given_back:
        return Outcome(
            rights_recredited_cents=back["rights"],
            grants_recredited=tuple(grants),
            credit_note_recredited_cents=back["credit_note"],
            card_refund_cents=back["card"],
            flat_participation_refund_cents=refund_flat,
            provider_cents=provider,
            flat_participation_kept_cents=flat - refund_flat,
        )
    return Outcome(
        credit_note_recredited_cents=back["credit_note"],
        card_kept_as_credit_note_cents=back["card"],
        provider_cents=provider,
        rights_lost_cents=back["rights"] + back["grant"],
        flat_participation_refund_cents=refund_flat,
        flat_participation_kept_cents=flat - refund_flat,
    )


def settle(
    locked: Registration,
    *,
    settlement: Settlement,
    kind: TransactionKind,
    step: str,
    actor: Any,
    reason: str,
    now: datetime.datetime,
) -> Outcome:
    """Post the settlement of the locked file (one transaction keyed ``registration:<id>:<step>``)
    and decide the card refund; sets the file's money fields (not saved).

    Rules 20, 22 (docs/adr/0020): when the provider was already paid for the entered file (its
    advance) more than the settlement gives it, the payable gives back only what it still holds
    for the file and the overpayment (paid − given) is posted to the provider's receivable, a
    debt the next payment runs recover; ``provider_overpaid_cents`` records it. An advance only
    due, not paid yet, is simply never paid beyond what the file is owed (``cpf.payouts``)."""
    outcome = outcome_of(locked, settlement)
    if locked.split is None:
        return outcome
    split = split_of(locked)
    entered = locked.in_training_at is not None
    deltas: dict[int, int] = defaultdict(int)
    accounts: dict[int, Account] = {}

    def move(account: Account, cents: int) -> None:
        accounts[account.pk] = account
        deltas[account.pk] += cents

    holder = locked.holder
    fund, clearing = system_account(AccountKind.CPF_FUND), system_account(AccountKind.CARD_CLEARING)
    payable = provider_payable_account(locked.action.training.provider)
    overpaid = 0
    if entered:  # the price is in the payable (less what was paid out), the flat participation in the fund
        paid = paid_to_provider_cents(locked)
        overpaid = max(paid - outcome.provider_cents, 0)
        move(payable, outcome.provider_cents + overpaid - locked.provider_due_cents)
        if overpaid:
            move(provider_receivable_account(locked.action.training.provider), -overpaid)
        move(fund, -outcome.flat_participation_refund_cents)
    else:  # reserved and card clearing hold it
        move(holder_reserved_account(holder), -locked.reserved_cents)
        move(clearing, -locked.card_held_cents)
        move(payable, outcome.provider_cents)
        move(fund, outcome.flat_participation_kept_cents)
    holder_accounts = {a.kind: a for a in Account.objects.filter(holder_id=holder.pk)}
    if outcome.rights_recredited_cents:
        move(holder_accounts[AccountKind.HOLDER_RIGHTS], outcome.rights_recredited_cents)
    for account_id, cents in outcome.grants_recredited:
        move(Account.objects.get(pk=account_id), cents)
    to_credit_note = outcome.credit_note_recredited_cents + outcome.card_kept_as_credit_note_cents
    if to_credit_note:
        move(holder_credit_note_account(holder), to_credit_note)
    move(fund, outcome.rights_lost_cents)
    refund = outcome.card_refund_cents + outcome.flat_participation_refund_cents
    move(clearing, refund)
    entries = [Posting(accounts[pk], cents) for pk, cents in sorted(deltas.items()) if cents]
    if entries:
        post_transaction(
            kind=kind,
            idempotency_key=f"registration:{locked.pk}:{step}",
            entries=entries,
            reference=f"registration:{locked.pk}",
            actor=actor,
            details={
                "registration_id": locked.pk,
                "flat_participation_cents": split.flat_participation_cents,
            },
        )
    refund_due(locked, amount_cents=refund, reason=reason, step=step, now=now)
    locked.reserved_cents, locked.card_held_cents = 0, 0
    locked.provider_due_cents = outcome.provider_cents
    locked.provider_overpaid_cents = overpaid
    return outcome


def paid_to_provider_cents(locked: Registration) -> int:
    """What the payment runs paid the provider for the file and the bank did not return (its
    advance, rule 20). Stable under the file's lock: a run share-locks the files it pays."""
    from cpf.payouts.models import PayoutItem  # the payouts build on the bookings

    items = PayoutItem.objects.filter(registration_id=locked.pk, returned=False)
    return sum(items.values_list("amount_cents", flat=True))


def outcome_lines(outcome: Outcome) -> list[str]:
    """What the holder reads before confirming (and after): one French sentence per movement."""
    lines = []
    sentences = [
        (outcome.rights_recredited_cents, "Vos droits sont recrédités de {}."),
        (outcome.grants_recredited_cents, "Vos dotations sont recréditées de {}."),
        (outcome.credit_note_recredited_cents, "Votre avoir est recrédité de {}."),
        (outcome.card_refund_cents, "{} vous sont remboursés sur votre carte bancaire."),
        (
            outcome.flat_participation_refund_cents,
            "La participation forfaitaire de {} vous est remboursée sur votre carte bancaire.",
        ),
        (
            outcome.card_kept_as_credit_note_cents,
            "{} payés par carte sont conservés en avoir, utilisable pour un prochain achat.",
        ),
        (outcome.rights_lost_cents, "{} de droits engagés sont perdus."),
        (outcome.flat_participation_kept_cents, "La participation forfaitaire de {} reste due."),
    ]
    for cents, sentence in sentences:
        if cents:
            lines.append(sentence.format(format_euros(cents)))
    return lines


def record_money_event(
    locked: Registration, *, event: str, at: datetime.datetime, actor: Any, reason: str
) -> None:
    """An audit event for a money step that changes no status (payment pending, refused)."""
    audit.record_event(event=event, target=locked, at=at, actor=actor, reason=reason)
