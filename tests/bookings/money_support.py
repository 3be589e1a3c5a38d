"""Files with money: a holder's rights, grants and credit note, files waiting for acceptance built
by a factory, and the checks every money test makes (balances, nothing changed, reconciled).

Moments: ``NOW`` (Friday 27 November 2026, flat participation €103.20) for acceptance; the
sessions start on Monday 18 January 2027."""

from __future__ import annotations

import datetime
import itertools

import factory

from cpf.bookings import money, services
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import CardRefundDue, Registration
from cpf.core.calendar import PARIS
from cpf.holders.models import Holder
from cpf.ledger import services as ledger
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.models import Account, Entry, Transaction
from cpf.ledger.reconcile import reconcile
from cpf.referentials.models import Certification
from cpf.rights.enums import FunderKind
from cpf.rights.services import add_grant, create_funder
from tests.clock import NOW
from tests.factories import SessionFactory, luhn_complete
from tests.holders.factories import holder_with_login
from tests.ledger.support import credit, valid_nir

S = RegistrationStatus
START = datetime.date(2027, 1, 18)
END = datetime.date(2027, 3, 26)
PRICE = 1_000_00
HOURS = 100
FLAT_2026 = 103_20
_serials = itertools.count(1000)


def paris(year: int, month: int, day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=PARIS)


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A file whose proposal the holder has to accept (``validated``), deadline a week ahead."""

    class Meta:
        model = Registration

    holder = factory.LazyFunction(lambda: new_holder())
    session = factory.SubFactory(
        SessionFactory,
        start_date=START,
        end_date=END,
        action__price_cents=PRICE,
        action__duration_hours=HOURS,
    )
    action = factory.SelfAttribute("session.action")
    status = S.VALIDATED
    price_cents = PRICE
    exam_cost_cents = 0
    duration_hours = HOURS
    start_date = factory.SelfAttribute("session.start_date")
    end_date = factory.SelfAttribute("session.end_date")
    modality = factory.SelfAttribute("action.modality")
    sent_at = NOW - datetime.timedelta(days=2)
    validated_at = NOW - datetime.timedelta(days=1)
    deadline_at = NOW + datetime.timedelta(days=7)


def new_holder(**facts: object) -> Holder:
    """A holder with a login (each step of a file is e-mailed to its address) and ``facts``."""
    serial = next(_serials)
    holder = holder_with_login(nir=valid_nir(serial), email=f"titulaire-{serial}@example.fr")
    for name, value in facts.items():
        setattr(holder, name, value)
    if facts:
        holder.save(update_fields=list(facts))
    return holder


def give_rights(holder: Holder, cents: int) -> None:
    credit(ledger.holder_rights_account(holder), cents, key=f"rights:{holder.pk}:{next(_serials)}")


def give_grant(
    holder: Holder, cents: int, *, kind: FunderKind = FunderKind.OPCO, certifications: tuple[str, ...] = ()
) -> int:
    """A grant to the holder; returns its ledger account's id."""
    serial = next(_serials)
    siret = (
        luhn_complete(luhn_complete(f"{52000000 + serial:08d}") + "0001")
        if kind == FunderKind.EMPLOYER
        else ""
    )
    funder = create_funder(kind=kind, name=f"Financeur {serial}", siret=siret)
    result = add_grant(
        funder=funder,
        nir=holder.nir,
        amount_cents=cents,
        certifications=list(Certification.objects.filter(code__in=certifications)),
        funder_reference=f"ref-{serial}",
        actor=None,
    )
    return result.grant.account_id


def give_credit_note(holder: Holder, cents: int) -> None:
    """Card money kept from an earlier purchase."""
    ledger.post_transaction(
        kind=TransactionKind.CREDIT_NOTE,
        idempotency_key=f"credit-note:{holder.pk}:{next(_serials)}",
        entries=[
            ledger.Posting(ledger.holder_credit_note_account(holder), cents),
            ledger.Posting(ledger.system_account(AccountKind.OPERATOR_BANK), -cents),
        ],
        reference="test",
        actor=None,
    )


def balance(holder: Holder, kind: AccountKind) -> int:
    return sum(Account.objects.filter(holder=holder, kind=kind).values_list("balance_cents", flat=True))


def system_balance(kind: AccountKind) -> int:
    return sum(Entry.objects.filter(account__kind=kind).values_list("amount_cents", flat=True))


def payable(registration: Registration) -> int:
    account = Account.objects.filter(provider=registration.action.training.provider).first()
    return account.balance_cents if account else 0


def reloaded(registration: Registration) -> Registration:
    return Registration.objects.get(pk=registration.pk)


def state() -> tuple:
    """Everything a refused action must leave as it was."""
    return (
        sorted(Account.objects.values_list("pk", "balance_cents")),
        Transaction.objects.count(),
        Entry.objects.count(),
        CardRefundDue.objects.count(),
        sorted(
            Registration.objects.values_list(
                "pk",
                "status",
                "payment_state",
                "payment_attempt",
                "reserved_cents",
                "card_held_cents",
                "provider_due_cents",
            )
        ),
    )


def assert_reconciled() -> None:
    result = reconcile()
    assert result.ok, result


def funded_holder() -> Holder:
    """Rights €300, a grant earmarked for the file's certification €200 (given after) a free
    grant €100, a credit note €50: the card pays €350 of a €1,000 price."""
    holder = new_holder()
    give_rights(holder, 300_00)
    give_grant(holder, 100_00)
    give_grant(holder, 200_00, certifications=("RNCP37674",))
    give_credit_note(holder, 50_00)
    return holder


def accepted(
    registration: Registration, *, now: datetime.datetime = NOW, reference: str = ""
) -> Registration:
    """Through acceptance, paying the card part when there is one."""
    split = money.reserve_for_acceptance(registration=registration, holder=registration.holder, now=now).split
    if split.card_total_cents:
        money.complete_acceptance(
            registration=registration,
            captured_cents=split.card_total_cents,
            psp_reference=reference or f"pi_{registration.pk}",
            now=now,
        )
    return reloaded(registration)


def entered(registration: Registration, *, entry_date: datetime.date = START) -> Registration:
    return services.declare_entry(
        registration=registration, actor=None, entry_date=entry_date, now=paris(2027, 1, 19)
    )
