"""The permission matrix: every page and endpoint that is not public × every audience → the
answer expected (allowed, sent to a login page, refused with 401, 403 or 404); a request that
would change something changes nothing when it is refused, and changes what it should when it
is allowed (so that the rows watched are the right ones).

The audiences: an anonymous visitor; the holder whose data the world holds and another holder;
a member and an administrator of the provider, and an administrator of another provider; the
same for funders; an agent of each role, logged in to the back-office with the second factor.
The API knows holders by their bearer token only: the other audiences call it with their
session, which is no credential there.

The back-office (``/admin/``) is walked as a whole by
``test_the_back_office_lets_in_only_agents_with_their_second_factor``: no one but an agent with
the second factor gets past its login, whatever the page (a page added later is walked too).
What each agents' role sees there is the matrix of ``tests/accounts/test_admin_permissions.py``.

The world (``tests/permission_world.py``) is built once for the module and each test runs in a
savepoint of it, rolled back after the request: a few hundred requests in a few seconds.

``test_every_url_is_in_the_matrix_or_public`` walks the URLconf (the API's operations through
django-ninja's schema): a new page or endpoint fails it until it is added to ``CASES`` below, or
to ``PUBLIC`` with the reason it needs no login.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from cpf.accounts.enums import AgentRole, OrganisationType
from cpf.accounts.sync import sync_agent_roles
from cpf.api.v1.api import api
from cpf.bookings.models import Registration
from cpf.bookings.services import validate_registration
from cpf.catalogue.models import CatalogueImport, Training
from cpf.holders.models import TermsVersion
from tests.accounts.factories import NOW, log_in_to_back_office
from tests.holders.factories import NIR
from tests.permission_world import (
    AGENTS,
    AUDIENCES,
    HOLDER,
    MEMBERS,
    OTHER_HOLDER,
    SIDES,
    World,
    agent_of,
    build_world,
    holder_rows,
    new_terms,
    offer_rows,
    onboarding_rows,
    organisations_rows,
    provider_rows,
    registration_rows,
    session_user,
    sign_in,
)
from tests.providers.onboarding_support import pdf_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The world and the agents' roles, built once for the module's few hundred requests, in a
    transaction rolled back at its end; each test runs in a savepoint of it (pytest-django's),
    so that what a request changed is gone before the next one."""
    with django_db_blocker.unblock(), transaction.atomic():
        sync_agent_roles()
        yield build_world()
        transaction.set_rollback(True)


# Answers -----------------------------------------------------------------------------------

Target = Callable[[World, str], str]  # where a redirect goes, from the world and the URL asked


@dataclass(frozen=True)
class Answer:
    status: int
    to: Target | None = None
    changes: bool = False  # the watched rows change (allowed) or stay as they were

    def expected(self, world: World, url: str) -> tuple[int, str | None]:
        return self.status, self.to(world, url) if self.to else None


def login_page(name: str) -> Target:
    def target(world: World, url: str) -> str:
        query = QueryDict(mutable=True)
        query["next"] = url
        return f"{reverse(name)}?{query.urlencode(safe='/')}"

    return target


def page(name: str, side: str | None = None, *, other: bool = False) -> Target:
    """The page ``name``, of the organisation of ``side`` (or of the other one)."""

    def target(world: World, url: str) -> str:
        args = [world.organisation(side, other=other).pk] if side else []
        return reverse(name, args=args)

    return target


OK = Answer(200)
NO_CONTENT = Answer(204)
UNAUTHORIZED = Answer(401)
FORBIDDEN = Answer(403)
NOT_FOUND = Answer(404)
NOT_ALLOWED = Answer(405)
HOLDER_LOGIN = Answer(302, login_page("www:holder:login"))
MEMBERS_LOGIN = Answer(302, login_page("www:members:login"))


def answers(default: Answer, **by_audience: Answer) -> dict[str, Answer]:
    unknown = set(by_audience) - set(AUDIENCES)
    assert not unknown, f"unknown audiences: {unknown}"
    return {audience: by_audience.get(audience, default) for audience in AUDIENCES}


def side_answers(side: str, *, member: Answer, admin: Answer, other: Answer = NOT_FOUND) -> dict[str, Answer]:
    """A page of one organisation: its members' answers; anonymous visitors to the members'
    login; holders, agents and members of the other side refused."""
    return answers(
        FORBIDDEN,
        anonymous=MEMBERS_LOGIN,
        **{f"{side}_member": member, f"{side}_admin": admin, f"other_{side}": other},
    )


# The matrix --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request: ``name`` (the URL's name) reversed with ``kwargs(world)``, sent with
    ``method`` and ``data(world)`` (as JSON for the API)."""

    label: str
    name: str
    method: str
    answers: dict[str, Answer]
    kwargs: Callable[[World], dict] = lambda world: {}
    data: Callable[[World], dict] | None = None
    watch: Callable[[World, Client], Any] | None = None
    prepare: Callable[[World], None] | None = None
    private: bool = False  # shows the holder's data: only to the holder

    @property
    def api(self) -> bool:
        return self.name.startswith(f"{api.urls_namespace}:")

    def __str__(self) -> str:
        return f"{self.method} {self.label}"


def holder_cases() -> list[Case]:
    holder_page = answers(FORBIDDEN, anonymous=HOLDER_LOGIN, holder=OK, other_holder=OK)
    rights_page = page("www:holder:rights")
    login = page("www:holder:login")
    logged_out = Answer(302, login, changes=True)
    return [
        Case("holder:account", "www:holder:account", "GET", holder_page, private=True),
        Case("holder:rights", "www:holder:rights", "GET", holder_page, private=True),
        # The terms page shows the terms to anyone; only a holder accepts them, for themselves.
        Case(
            "holder:terms",
            "www:holder:terms",
            "POST",
            answers(OK, holder=Answer(302, rights_page, changes=True), other_holder=Answer(302, rights_page)),
            data=lambda world: {"accept_terms": "on"},
            watch=holder_rows,
            prepare=new_terms,
        ),
        Case("holder:logout", "www:holder:logout", "GET", answers(NOT_ALLOWED), watch=session_user),
        Case(
            "holder:logout",
            "www:holder:logout",
            "POST",
            answers(logged_out, anonymous=Answer(302, login)),
            watch=session_user,
        ),
    ]


def newest_file(world: World, url: str) -> str:
    """The page of the file a request has just created."""
    return reverse("www:holder:registration", args=[Registration.objects.latest("pk").pk])


def file_of(which: str, key: str = "registration_id") -> Callable[[World], dict]:
    return lambda world: {key: world.registrations[which].pk}


def registration_cases() -> list[Case]:
    """The holder's files ("Mes dossiers", rules 14 to 18): each holder asks for seats on their
    own; a file is only its holder's (another holder's is not found)."""
    own_file = answers(FORBIDDEN, anonymous=HOLDER_LOGIN, holder=OK, other_holder=NOT_FOUND)
    session = lambda world: {"session_id": world.session.pk}  # noqa: E731
    return [
        Case(
            "holder:registrations",
            "www:holder:registrations",
            "GET",
            answers(FORBIDDEN, anonymous=HOLDER_LOGIN, holder=OK, other_holder=OK),
        ),
        Case("holder:registration", "www:holder:registration", "GET", own_file, kwargs=file_of("requested")),
        Case(
            "holder:request_registration",
            "www:holder:request_registration",
            "GET",
            answers(FORBIDDEN, anonymous=HOLDER_LOGIN, holder=OK, other_holder=OK),
            kwargs=session,
        ),
        Case(
            "holder:request_registration",
            "www:holder:request_registration",
            "POST",
            answers(
                FORBIDDEN,
                anonymous=HOLDER_LOGIN,
                holder=Answer(302, newest_file, changes=True),
                other_holder=Answer(302, newest_file, changes=True),
            ),
            kwargs=session,
            watch=registration_rows,
        ),
        Case(
            "holder:refuse_proposal",
            "www:holder:refuse_proposal",
            "GET",
            own_file,
            kwargs=file_of("proposed"),
        ),
        Case(
            "holder:refuse_proposal",
            "www:holder:refuse_proposal",
            "POST",
            acted_on("proposed"),
            kwargs=file_of("proposed"),
            watch=registration_rows,
        ),
        Case(
            "holder:accept_proposal",
            "www:holder:accept_proposal",
            "GET",
            own_file,
            kwargs=file_of("proposed"),
        ),
        # A code never asked for: the page says so, nothing changes.
        Case(
            "holder:accept_proposal",
            "www:holder:accept_proposal",
            "POST",
            own_file,
            kwargs=file_of("proposed"),
            data=lambda world: {"otp": "000000"},
            watch=registration_rows,
        ),
        Case(
            "holder:send_purchase_code",
            "www:holder:send_purchase_code",
            "GET",
            answers(NOT_ALLOWED),
            kwargs=file_of("proposed"),
        ),
        Case(
            "holder:send_purchase_code",
            "www:holder:send_purchase_code",
            "POST",
            answers(
                FORBIDDEN,
                anonymous=HOLDER_LOGIN,
                holder=Answer(
                    302,
                    lambda world, url: reverse(
                        "www:holder:accept_proposal", args=[world.registrations["proposed"].pk]
                    ),
                    changes=True,
                ),
                other_holder=NOT_FOUND,
            ),
            kwargs=file_of("proposed"),
            watch=registration_rows,
        ),
        Case(
            "holder:withdraw_request",
            "www:holder:withdraw_request",
            "GET",
            own_file,
            kwargs=file_of("requested"),
        ),
        Case(
            "holder:withdraw_request",
            "www:holder:withdraw_request",
            "POST",
            acted_on("requested"),
            kwargs=file_of("requested"),
            watch=registration_rows,
        ),
        Case(
            "holder:cancel_registration",
            "www:holder:cancel_registration",
            "GET",
            own_file,
            kwargs=file_of("accepted"),
        ),
        Case(
            "holder:cancel_registration",
            "www:holder:cancel_registration",
            "POST",
            acted_on("accepted"),
            kwargs=file_of("accepted"),
            watch=registration_rows,
        ),
    ]


def acted_on(which: str) -> dict[str, Answer]:
    """An action on the holder's file: done by the holder (back to the file), not found for
    another holder."""
    back = Answer(
        302,
        lambda world, url: reverse("www:holder:registration", args=[world.registrations[which].pk]),
        changes=True,
    )
    return answers(FORBIDDEN, anonymous=HOLDER_LOGIN, holder=back, other_holder=NOT_FOUND)


def registration_api_cases() -> list[Case]:
    """The holder's files through the API: the token's holder's own only."""
    ns = api.urls_namespace
    own_file = answers(UNAUTHORIZED, holder=OK, other_holder=NOT_FOUND)
    created = Answer(201, changes=True)
    return [
        Case(
            "api me/registrations",
            f"{ns}:my_registrations",
            "GET",
            answers(UNAUTHORIZED, holder=OK, other_holder=OK),
        ),
        Case(
            "api me/registrations",
            f"{ns}:my_registrations",
            "POST",
            answers(UNAUTHORIZED, holder=created, other_holder=created),
            data=lambda world: {"session_id": world.session.pk},
            watch=registration_rows,
        ),
        Case(
            "api me/registrations/{id}", f"{ns}:my_registration", "GET", own_file, kwargs=file_of("requested")
        ),
        Case(
            "api me/registrations/{id}/refuse",
            f"{ns}:refuse_proposal",
            "POST",
            answers(UNAUTHORIZED, holder=Answer(200, changes=True), other_holder=NOT_FOUND),
            kwargs=file_of("proposed"),
            watch=registration_rows,
        ),
        Case(
            "api me/registrations/{id}/otp",
            f"{ns}:send_code",
            "POST",
            answers(UNAUTHORIZED, holder=Answer(202, changes=True), other_holder=NOT_FOUND),
            kwargs=file_of("proposed"),
            watch=registration_rows,
        ),
        # A code never asked for: refused, nothing changes.
        Case(
            "api me/registrations/{id}/accept",
            f"{ns}:accept",
            "POST",
            answers(UNAUTHORIZED, holder=Answer(422), other_holder=NOT_FOUND),
            kwargs=file_of("proposed"),
            data=lambda world: {"otp": "000000"},
            watch=registration_rows,
        ),
        Case(
            "api me/registrations/{id}/cancellation",
            f"{ns}:cancellation",
            "GET",
            own_file,
            kwargs=file_of("accepted"),
        ),
        Case(
            "api me/registrations/{id}/cancel",
            f"{ns}:cancel",
            "POST",
            answers(UNAUTHORIZED, holder=Answer(200, changes=True), other_holder=NOT_FOUND),
            kwargs=file_of("accepted"),
            watch=registration_rows,
        ),
    ]


def members_cases() -> list[Case]:
    login = page("www:members:login")
    logged_out = Answer(302, login, changes=True)
    to_provider_space = Answer(302, page("www:provider:home"))
    to_funder_space = Answer(302, page("www:funder:home"))
    return [
        Case(
            "members:home",
            "www:members:home",
            "GET",
            answers(
                FORBIDDEN,
                anonymous=MEMBERS_LOGIN,
                **{audience: to_provider_space for audience in MEMBERS if "provider" in audience},
                **{audience: to_funder_space for audience in MEMBERS if "funder" in audience},
            ),
        ),
        Case("members:logout", "www:members:logout", "GET", answers(NOT_ALLOWED), watch=session_user),
        Case(
            "members:logout",
            "www:members:logout",
            "POST",
            answers(logged_out, anonymous=Answer(302, login)),
            watch=session_user,
        ),
    ]


def organisation_cases(side: str) -> list[Case]:
    """The space of one side (providers or funders): the same pages and actions for both."""
    key = f"{side}_id"
    home, own_page, members = f"www:{side}:home", f"www:{side}:{side}", f"www:{side}:members"

    def of(world: World, *, other: bool = False) -> dict:
        return {key: world.organisation(side, other=other).pk}

    def action(which: str, verb: str, *, through_other: bool = False) -> Callable[[World], dict]:
        def kwargs(world: World) -> dict:
            target = world.targets[side, which].pk
            return {**of(world, other=through_other), "membership_id": target, "action": verb}

        return kwargs

    def invitation(*, through_other: bool = False) -> Callable[[World], dict]:
        return lambda world: {**of(world, other=through_other), "invitation_id": world.invitations[side].pk}

    to_members = Answer(302, page(members, side), changes=True)
    administrators_act = side_answers(side, member=FORBIDDEN, admin=to_members)
    # Another organisation's member, reached through the URL of one's own organisation (or the
    # reverse): never found.
    through_other = side_answers(side, member=NOT_FOUND, admin=NOT_FOUND)
    cases = [
        Case(
            f"{side}:home",
            home,
            "GET",
            side_answers(
                side,
                member=Answer(302, page(own_page, side)),
                admin=Answer(302, page(own_page, side)),
                other=Answer(302, page(own_page, side, other=True)),
            ),
        ),
        Case(f"{side}:{side}", own_page, "GET", side_answers(side, member=OK, admin=OK), kwargs=of),
        Case(f"{side}:members", members, "GET", side_answers(side, member=OK, admin=OK), kwargs=of),
        Case(
            f"{side}:members (invite)",
            members,
            "POST",
            administrators_act,
            kwargs=of,
            data=lambda world: {"email": "nouveau@exemple.fr", "role": "admin"},
            watch=organisations_rows,
        ),
        *[
            Case(
                f"{side}:member_action ({verb})",
                f"www:{side}:member_action",
                "POST",
                administrators_act,
                kwargs=action(which, verb),
                watch=organisations_rows,
            )
            for which, verb in (
                ("plain", "desactiver"),
                ("deactivated", "reactiver"),
                ("plain", "administrateur"),
                ("admin", "membre"),
            )
        ],
        Case(
            f"{side}:revoke_invitation",
            f"www:{side}:revoke_invitation",
            "POST",
            administrators_act,
            kwargs=invitation(),
            watch=organisations_rows,
        ),
        Case(
            f"{side}:member_action (through another {side})",
            f"www:{side}:member_action",
            "POST",
            through_other,
            kwargs=action("plain", "desactiver", through_other=True),
            watch=organisations_rows,
        ),
        Case(
            f"{side}:revoke_invitation (through another {side})",
            f"www:{side}:revoke_invitation",
            "POST",
            through_other,
            kwargs=invitation(through_other=True),
            watch=organisations_rows,
        ),
    ]
    return cases


def grant_cases() -> list[Case]:
    """A funder's members add grants, one by one or by file (rules 8 and 9)."""
    side = OrganisationType.FUNDER
    to_funder = Answer(302, page("www:funder:funder", side), changes=True)
    members_grant = side_answers(side, member=to_funder, admin=to_funder)
    csv = f"nir;montant;certifications;reference;nature\n{NIR};250;;F-1;dotation\n"
    return [
        Case(
            "funder:funder (grant)",
            "www:funder:funder",
            "POST",
            members_grant,
            kwargs=lambda world: {"funder_id": world.organisation(side).pk},
            data=lambda world: {"nir": NIR, "kind": "grant", "amount": "100", "token": "matrice"},
            watch=organisations_rows,
        ),
        Case(
            "funder:funder (file of grants)",
            "www:funder:funder",
            "POST",
            members_grant,
            kwargs=lambda world: {"funder_id": world.organisation(side).pk},
            data=lambda world: {"send_file": "1", "file": SimpleUploadedFile("dotations.csv", csv.encode())},
            watch=organisations_rows,
        ),
    ]


def api_cases() -> list[Case]:
    """The holder's own endpoints: a bearer token, and only the token's holder's data."""
    ns = api.urls_namespace
    holders_only = answers(UNAUTHORIZED, holder=OK, other_holder=OK)
    holders_act = answers(UNAUTHORIZED, holder=Answer(204, changes=True), other_holder=NO_CONTENT)
    return [
        Case("api me", f"{ns}:me", "GET", holders_only, private=True),
        Case("api me/rights", f"{ns}:my_rights", "GET", holders_only, private=True),
        Case("api me/ledger", f"{ns}:my_ledger", "GET", holders_only, private=True),
        Case(
            "api me/terms",
            f"{ns}:accept_terms",
            "POST",
            holders_act,
            data=lambda world: {"version": TermsVersion.objects.current(NOW.date()).version},
            watch=holder_rows,
            prepare=new_terms,
        ),
        Case("api auth/logout", f"{ns}:revoke_token", "POST", holders_act, watch=holder_rows),
    ]


def file_with_a_payment(world: World) -> None:
    """A file of the world's holder waiting for its card payment, known to the sandbox."""
    from cpf.payments.enums import PaymentStatus
    from cpf.payments.models import Payment
    from cpf.sandbox_psp import services as psp
    from tests.bookings.support import bookable_session

    session = bookable_session()
    registration = Registration.objects.create(
        holder=world.holder,
        session=session,
        action=session.action,
        price_cents=session.action.price_cents,
        exam_cost_cents=0,
        duration_hours=session.action.duration_hours,
        start_date=session.start_date,
        end_date=session.end_date,
        modality=session.action.modality,
        sent_at=NOW,
        deadline_at=NOW + datetime.timedelta(days=2),
    )
    intent = psp.create_intent(amount_cents=100_00, now=NOW)
    world.targets[("payments", "file")] = Payment.objects.create(
        registration=registration,
        attempt=1,
        provider="sandbox",
        idempotency_key=f"registration:{registration.pk}:attempt:1",
        psp_id=intent.public_id,
        amount_cents=100_00,
        status=PaymentStatus.PENDING,
        created_at=NOW,
        updated_at=NOW,
        checked_at=NOW,
    )


def payment_cases() -> list[Case]:
    """The holder's return from the provider's hosted page: their own file only."""
    back_to_the_file = Answer(
        302,
        lambda world, url: reverse(
            "www:holder:registration", args=[world.targets[("payments", "file")].registration_id]
        ),
    )
    return [
        Case(
            "payments:return",
            "www:payments:return",
            "GET",
            answers(FORBIDDEN, anonymous=HOLDER_LOGIN, holder=back_to_the_file, other_holder=NOT_FOUND),
            kwargs=lambda world: {"registration_id": world.targets[("payments", "file")].registration_id},
            prepare=file_with_a_payment,
        ),
    ]


UNPROCESSABLE = Answer(422)


def propose(world: World) -> None:
    """The provider answered the request with its proposal."""
    validate_registration(registration=world.registration, actor=None, now=NOW)


def provider_file_cases() -> list[Case]:
    """The provider's files and API keys: any member answers the files, only administrators
    manage the keys; another provider finds neither."""
    side = OrganisationType.PROVIDER

    def of(world: World, *, other: bool = False) -> dict:
        return {"provider_id": world.organisation(side, other=other).pk}

    def file(*, other: bool = False, slug: str | None = None) -> Callable[[World], dict]:
        def kwargs(world: World) -> dict:
            found = {**of(world, other=other), "registration_id": world.registration.pk}
            return {**found, "action": slug} if slug else found

        return kwargs

    def key(*, other: bool = False) -> Callable[[World], dict]:
        return lambda world: {**of(world, other=other), "key_id": world.api_keys["own"].pk}

    def file_page(world: World, url: str) -> str:
        return reverse("www:provider:registration", kwargs=file()(world))

    def keys_page(world: World, url: str) -> str:
        return reverse("www:provider:api_keys", kwargs=of(world))

    def webhook_page(world: World, url: str) -> str:
        return reverse("www:provider:webhook", kwargs=of(world))

    answered = Answer(302, file_page, changes=True)
    not_now = Answer(302, file_page)  # the file does not wait for that: a message, no change
    members = side_answers(side, member=OK, admin=OK)
    members_answer = side_answers(side, member=answered, admin=answered)
    members_told = side_answers(side, member=not_now, admin=not_now)
    through_other = side_answers(side, member=NOT_FOUND, admin=NOT_FOUND)
    valid_proposal = {
        "start_date": "2027-03-01",
        "end_date": "2027-06-30",
        "price": "4500",
        "duration_hours": "400",
    }
    actions = [
        ("valider", members_answer, lambda world: valid_proposal, None),
        ("refuser", members_answer, lambda world: {"reason_code": "session_full"}, None),
        ("entree", members_told, lambda world: {"entry_date": "2026-11-27"}, None),
        ("sortie", members_told, lambda world: {"exit_date": "2026-11-27", "reason_code": "completed"}, None),
        ("service-fait", members_told, lambda world: {"hours_done": "10", "exit_reason": "completed"}, None),
        ("annuler", members_answer, lambda world: {"reason_code": "session_cancelled"}, propose),
    ]
    return [
        Case("provider:registrations", "www:provider:registrations", "GET", members, kwargs=of),
        Case("provider:registration", "www:provider:registration", "GET", members, kwargs=file()),
        Case("provider:registrations_csv", "www:provider:registrations_csv", "GET", members, kwargs=of),
        Case("provider:statement", "www:provider:statement", "GET", members, kwargs=of),
        Case(
            "provider:registration_invoice",
            "www:provider:registration_invoice",
            "GET",
            members,
            kwargs=file(),
        ),
        # the request's service is not validated: the form answers with the refusal, nothing issued
        Case(
            "provider:registration_invoice (issue)",
            "www:provider:registration_invoice",
            "POST",
            members,
            kwargs=file(),
            data=lambda world: {"number": "F-1", "amount": "1", "vat_rate": "0", "issued_on": "2026-11-27"},
            watch=provider_rows,
        ),
        Case(
            "provider:registration_invoice (through another provider)",
            "www:provider:registration_invoice",
            "GET",
            through_other,
            kwargs=file(other=True),
        ),
        Case(
            "provider:webhook",
            "www:provider:webhook",
            "GET",
            side_answers(side, member=FORBIDDEN, admin=OK),
            kwargs=of,
        ),
        Case(
            "provider:webhook (set the address)",
            "www:provider:webhook",
            "POST",
            side_answers(side, member=FORBIDDEN, admin=Answer(302, webhook_page, changes=True)),
            kwargs=of,
            data=lambda world: {"url": "https://gestion.example.fr/webhooks"},
            watch=provider_rows,
        ),
        Case(
            "provider:webhook_secret",
            "www:provider:webhook_secret",
            "POST",
            side_answers(side, member=FORBIDDEN, admin=Answer(200, changes=True)),
            kwargs=of,
            watch=provider_rows,
        ),
        Case(
            "provider:registration (through another provider)",
            "www:provider:registration",
            "GET",
            through_other,
            kwargs=file(other=True),
        ),
        *[
            Case(
                f"provider:registration_action ({slug})",
                "www:provider:registration_action",
                "POST",
                expected,
                kwargs=file(slug=slug),
                data=data,
                watch=provider_rows,
                prepare=prepare,
            )
            for slug, expected, data, prepare in actions
        ],
        Case(
            "provider:registration_action (through another provider)",
            "www:provider:registration_action",
            "POST",
            through_other,
            kwargs=file(other=True, slug="valider"),
            data=lambda world: valid_proposal,
            watch=provider_rows,
        ),
        # The transfers the operator sent the provider: its members only.
        Case("provider:payouts", "www:provider:payouts", "GET", members, kwargs=of),
        Case(
            "provider:payouts",
            "www:provider:payouts",
            "POST",
            side_answers(side, member=NOT_ALLOWED, admin=NOT_ALLOWED, other=NOT_ALLOWED),
            kwargs=of,
        ),
        Case("provider:api_keys", "www:provider:api_keys", "GET", members, kwargs=of),
        Case(
            "provider:api_keys (create)",
            "www:provider:api_keys",
            "POST",
            side_answers(side, member=FORBIDDEN, admin=Answer(200, changes=True)),
            kwargs=of,
            data=lambda world: {"name": "Nouvelle clé"},
            watch=provider_rows,
        ),
        Case(
            "provider:api_key_revoke",
            "www:provider:api_key_revoke",
            "GET",
            side_answers(side, member=FORBIDDEN, admin=OK),
            kwargs=key(),
        ),
        Case(
            "provider:api_key_revoke",
            "www:provider:api_key_revoke",
            "POST",
            side_answers(side, member=FORBIDDEN, admin=Answer(302, keys_page, changes=True)),
            kwargs=key(),
            watch=provider_rows,
        ),
        Case(
            "provider:api_key_revoke (through another provider)",
            "www:provider:api_key_revoke",
            "POST",
            through_other,
            kwargs=key(other=True),
            watch=provider_rows,
        ),
    ]


def provider_offer_cases() -> list[Case]:
    """The provider's offers and catalogue files: any member enters, publishes, imports and
    exports them; another provider finds none of them, through its own URLs or the provider's."""
    side = OrganisationType.PROVIDER

    def of(world: World, *, other: bool = False) -> dict:
        return {"provider_id": world.organisation(side, other=other).pk}

    def training(*, other: bool = False, **more: Any) -> Callable[[World], dict]:
        return lambda world: {**of(world, other=other), "training_id": world.offer.action.training_id, **more}

    def action(*, other: bool = False) -> Callable[[World], dict]:
        return lambda world: {**training(other=other)(world), "action_id": world.offer.action_id}

    def session(*, other: bool = False) -> Callable[[World], dict]:
        return lambda world: {**training(other=other)(world), "session_id": world.offer.pk}

    def imported(*, other: bool = False) -> Callable[[World], dict]:
        return lambda world: {**of(world, other=other), "import_id": world.catalogue_import.pk}

    def offer_page(world: World, url: str) -> str:
        return reverse("www:provider:offer", kwargs=training()(world))

    def newest_offer(world: World, url: str) -> str:
        newest = Training.objects.latest("pk")
        return reverse("www:provider:offer", kwargs={**of(world), "training_id": newest.pk})

    def newest_import(world: World, url: str) -> str:
        newest = CatalogueImport.objects.latest("pk")
        return reverse("www:provider:offer_import_status", kwargs={**of(world), "import_id": newest.pk})

    members = side_answers(side, member=OK, admin=OK)
    through_other = side_answers(side, member=NOT_FOUND, admin=NOT_FOUND)

    def done(target: Target) -> dict[str, Answer]:
        return side_answers(
            side, member=Answer(302, target, changes=True), admin=Answer(302, target, changes=True)
        )

    training_data = {
        "reference": "OFFRE-2",
        "certification": "RNCP37674",
        "title": "Développeur web, seconde formation",
        "objectives": "Développer.",
        "content": "Tout.",
        "expected_results": "Un titre.",
    }
    action_data = {
        "price": "3000",
        "duration_hours": "200",
        "modality": "remote",
        "prerequisites": "Aucun.",
        "admission_terms": "Entretien.",
    }
    session_data = {"start_date": "2027-09-01", "end_date": "2027-12-15", "seats": "8", "status": "open"}
    catalogue = (
        "reference_formation;intitule;code_certification;objectifs;contenu;resultats_attendus;points_forts;"
        "reference_action;prix_ttc;duree_heures;travail_personnel_heures;modalite;code_insee;code_postal;adresse;"
        "prerequis;modalites_admission;equipement;date_examen;lieu_examen;cout_examen;reference_session;"
        "date_debut;date_fin;places;etat_session\r\n"
        "F9;Formation importée;RNCP37674;Objectifs;Contenu;Résultats;;"
        "A1;1500;100;0;distance;;;;Aucun;Entretien;;;;;"
        "S1;01/09/2027;01/12/2027;10;ouverte\r\n"
    )
    gets = [
        ("offers", of),
        ("offer_new", of),
        ("offer_import", of),
        ("offer_export", of),
        ("offer_export_lheo", of),
        ("offer", training()),
        ("offer_edit", training()),
        ("offer_preview", training()),
        ("action_new", training()),
        ("action_edit", action()),
        ("session_new", action()),
        ("session_edit", session()),
        ("offer_import_status", imported()),
    ]
    through = [
        ("offer", training(other=True)),
        ("offer_preview", training(other=True)),
        ("action_edit", action(other=True)),
        ("session_edit", session(other=True)),
        ("offer_import_status", imported(other=True)),
    ]
    return [
        *[
            Case(f"provider:{name}", f"www:provider:{name}", "GET", members, kwargs=kwargs)
            for name, kwargs in gets
        ],
        *[
            Case(
                f"provider:{name} (through another provider)",
                f"www:provider:{name}",
                "GET",
                through_other,
                kwargs=k,
            )
            for name, k in through
        ],
        Case(
            "provider:offer_new",
            "www:provider:offer_new",
            "POST",
            done(newest_offer),
            kwargs=of,
            data=lambda world: training_data,
            watch=offer_rows,
        ),
        Case(
            "provider:offer_edit",
            "www:provider:offer_edit",
            "POST",
            done(offer_page),
            kwargs=training(),
            data=lambda world: {**training_data, "reference": "OFFRE-1"},
            watch=offer_rows,
        ),
        Case(
            "provider:offer_edit (through another provider)",
            "www:provider:offer_edit",
            "POST",
            through_other,
            kwargs=training(other=True),
            data=lambda world: training_data,
            watch=offer_rows,
        ),
        Case(
            "provider:offer_publication (publier)",
            "www:provider:offer_publication",
            "POST",
            done(offer_page),
            kwargs=training(action="publier"),
            watch=offer_rows,
        ),
        Case(
            "provider:offer_publication (through another provider)",
            "www:provider:offer_publication",
            "POST",
            through_other,
            kwargs=training(other=True, action="publier"),
            watch=offer_rows,
        ),
        Case(
            "provider:action_new",
            "www:provider:action_new",
            "POST",
            done(offer_page),
            kwargs=training(),
            data=lambda world: action_data,
            watch=offer_rows,
        ),
        Case(
            "provider:action_edit",
            "www:provider:action_edit",
            "POST",
            done(offer_page),
            kwargs=action(),
            data=lambda world: {**action_data, "reference": "A1"},
            watch=offer_rows,
        ),
        Case(
            "provider:action_edit (through another provider)",
            "www:provider:action_edit",
            "POST",
            through_other,
            kwargs=action(other=True),
            data=lambda world: action_data,
            watch=offer_rows,
        ),
        Case(
            "provider:session_new",
            "www:provider:session_new",
            "POST",
            done(offer_page),
            kwargs=action(),
            data=lambda world: session_data,
            watch=offer_rows,
        ),
        Case(
            "provider:session_edit",
            "www:provider:session_edit",
            "POST",
            done(offer_page),
            kwargs=session(),
            data=lambda world: {**session_data, "reference": "S1"},
            watch=offer_rows,
        ),
        Case(
            "provider:session_edit (through another provider)",
            "www:provider:session_edit",
            "POST",
            through_other,
            kwargs=session(other=True),
            data=lambda world: session_data,
            watch=offer_rows,
        ),
        Case(
            "provider:offer_import",
            "www:provider:offer_import",
            "POST",
            done(newest_import),
            kwargs=of,
            data=lambda world: {"file": SimpleUploadedFile("catalogue.csv", catalogue.encode())},
            watch=offer_rows,
        ),
    ]


def onboarding_cases() -> list[Case]:
    """A provider's application (open to visitors and to providers' members, who become the new
    space's administrator; refused to logins of another kind); its documents, read by its
    members only; its bank details, changed by its administrators only."""
    side = OrganisationType.PROVIDER
    applicants = ("anonymous", "provider_member", "provider_admin", "other_provider")

    def for_applicants(answer: Answer) -> dict[str, Answer]:
        return answers(FORBIDDEN, **dict.fromkeys(applicants, answer))

    def of(world: World, *, other: bool = False) -> dict:
        return {"provider_id": world.organisation(side, other=other).pk}

    def document(which: str) -> Callable[[World], dict]:
        return lambda world: {**of(world), "document_id": world.documents[which].pk}

    def bank_page(world: World, url: str) -> str:
        return reverse("www:provider:bank_details", kwargs=of(world))

    def renewal(world: World) -> dict:
        return {**of(world), "kind": "qualiopi"}

    def renewal_page(world: World, url: str) -> str:
        return reverse("www:provider:document_renewal", kwargs=renewal(world))

    identity = {
        "siret": "732 829 320 00074",
        "legal_name": "Nouvel organisme",
        "address": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
    }
    new_account = lambda world: {  # noqa: E731
        "iban": "FR7630006000011234567890189",
        "account_holder_name": "Organisme Atlas",
        "statement": SimpleUploadedFile("rib.pdf", pdf_bytes(), content_type="application/pdf"),
    }
    renewed_certificate = lambda world: {  # noqa: E731
        "qualiopi_number": "QUALIOPI-2030-1",
        "qualiopi_valid_until": "2029-06-30",
        "qualiopi_file": SimpleUploadedFile("qualiopi.pdf", pdf_bytes(), content_type="application/pdf"),
    }
    members = side_answers(side, member=OK, admin=OK)
    through_other = side_answers(side, member=NOT_FOUND, admin=NOT_FOUND)
    to_first_page = Answer(302, page("www:provider:sign_up"))
    return [
        Case("provider:sign_up", "www:provider:sign_up", "GET", for_applicants(OK)),
        # The identity checked is kept in the session for the next page: nothing is created yet.
        Case(
            "provider:sign_up",
            "www:provider:sign_up",
            "POST",
            for_applicants(Answer(302, page("www:provider:sign_up_confirm"))),
            data=lambda world: identity,
            watch=onboarding_rows,
        ),
        # Without the identity of the first page in the session: back to it.
        Case(
            "provider:sign_up_confirm", "www:provider:sign_up_confirm", "GET", for_applicants(to_first_page)
        ),
        Case(
            "provider:sign_up_confirm",
            "www:provider:sign_up_confirm",
            "POST",
            for_applicants(to_first_page),
            data=lambda world: {"confirm_identity": "on"},
            watch=onboarding_rows,
        ),
        Case("provider:documents", "www:provider:documents", "GET", members, kwargs=of),
        Case("provider:document", "www:provider:document", "GET", members, kwargs=document("own")),
        Case(
            "provider:document (another provider's)",
            "www:provider:document",
            "GET",
            through_other,
            kwargs=document("other"),
        ),
        # The other provider's own document, through its own space: only its administrator's.
        Case(
            "provider:document (through another provider)",
            "www:provider:document",
            "GET",
            side_answers(side, member=NOT_FOUND, admin=NOT_FOUND, other=OK),
            kwargs=lambda world: {**of(world, other=True), "document_id": world.documents["other"].pk},
        ),
        Case("provider:document_renewal", "www:provider:document_renewal", "GET", members, kwargs=renewal),
        Case(
            "provider:document_renewal",
            "www:provider:document_renewal",
            "POST",
            side_answers(side, member=FORBIDDEN, admin=Answer(302, renewal_page, changes=True)),
            kwargs=renewal,
            data=renewed_certificate,
            watch=onboarding_rows,
        ),
        Case("provider:bank_details", "www:provider:bank_details", "GET", members, kwargs=of),
        Case(
            "provider:bank_details",
            "www:provider:bank_details",
            "POST",
            side_answers(side, member=FORBIDDEN, admin=Answer(302, bank_page, changes=True)),
            kwargs=of,
            data=new_account,
            watch=onboarding_rows,
        ),
        Case(
            "provider:bank_details (through another provider)",
            "www:provider:bank_details",
            "POST",
            side_answers(
                side,
                member=NOT_FOUND,
                admin=NOT_FOUND,
                other=Answer(
                    302,
                    lambda world, url: reverse("www:provider:bank_details", kwargs=of(world, other=True)),
                    changes=True,
                ),
            ),
            kwargs=lambda world: of(world, other=True),
            data=new_account,
            watch=onboarding_rows,
        ),
    ]


def provider_api_cases() -> list[Case]:
    """The providers' API: a key of the file's provider; any other credential is none (401),
    another provider's key finds no file (404)."""
    ns = api.urls_namespace
    file = lambda world: {"registration_id": world.registration.pk}  # noqa: E731

    def keyed(allowed: Answer, other: Answer = NOT_FOUND) -> dict[str, Answer]:
        return answers(UNAUTHORIZED, provider_member=allowed, provider_admin=allowed, other_provider=other)

    acted = Answer(200, changes=True)
    return [
        Case("api provider/registrations", f"{ns}:provider_registrations", "GET", keyed(OK, other=OK)),
        Case("api provider/registration", f"{ns}:provider_registration", "GET", keyed(OK), kwargs=file),
        *[
            Case(
                f"api provider/registrations/{{id}}/{name}",
                f"{ns}:provider_{name}",
                "POST",
                keyed(expected),
                kwargs=file,
                data=data,
                watch=provider_rows,
                prepare=prepare,
            )
            for name, expected, data, prepare in (
                ("validate", acted, lambda world: {}, None),
                ("refuse", acted, lambda world: {"reason_code": "session_full"}, None),
                # the request waits for an answer: no declaration yet
                ("entry", UNPROCESSABLE, lambda world: {"entry_date": "2026-11-27"}, None),
                (
                    "exit",
                    UNPROCESSABLE,
                    lambda world: {"exit_date": "2026-11-27", "reason_code": "completed"},
                    None,
                ),
                ("service_done", UNPROCESSABLE, lambda world: {"hours_done": 10}, None),
                ("service_done_correction", UNPROCESSABLE, lambda world: {"hours_done": 10}, None),
                ("cancel", acted, lambda world: {"reason_code": "session_cancelled"}, propose),
            )
        ],
        # the request's service is not validated: nothing to invoice yet (tests/invoicing/)
        Case(
            "api provider/registrations/{id}/invoice",
            f"{ns}:provider_invoice",
            "POST",
            keyed(UNPROCESSABLE),
            kwargs=file,
            data=lambda world: {
                "number": "F-1",
                "amount_cents": 100,
                "vat_rate": 0,
                "issued_on": "2026-11-27",
            },
            watch=provider_rows,
        ),
        Case("api provider/invoices", f"{ns}:provider_invoices", "GET", keyed(OK, other=OK)),
    ]


CASES = [
    *holder_cases(),
    *payment_cases(),
    *members_cases(),
    *[case for side in SIDES for case in organisation_cases(side)],
    *grant_cases(),
    *provider_file_cases(),
    *provider_offer_cases(),
    *api_cases(),
    *registration_cases(),
    *registration_api_cases(),
    *provider_api_cases(),
    *onboarding_cases(),
]


def send(client: Client, case: Case, url: str, world: World, headers: dict[str, str]):
    data = case.data(world) if case.data else {}
    if case.method == "GET":
        return client.get(url, **headers)
    if case.api:
        return client.post(url, data, content_type="application/json", **headers)
    return client.post(url, data, **headers)


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_audience_gets_its_answer_and_a_refusal_changes_nothing(client, world, case, audience):
    # given the world, and the audience logged in
    if case.prepare:
        case.prepare(world)
    headers = sign_in(client, world, audience, api=case.api)
    url = reverse(case.name, kwargs=case.kwargs(world))
    before = case.watch(world, client) if case.watch else None

    # when the audience sends the request (a file sent is read whole, which closes it)
    response = send(client, case, url, world, headers)
    if response.streaming:
        b"".join(response.streaming_content)

    # then the answer is the one of the matrix, and only an allowed request changed anything
    expected = case.answers[audience]
    assert (response.status_code, response.get("Location")) == expected.expected(world, url)
    if case.watch:
        assert (case.watch(world, client) != before) == expected.changes
    if case.private and response.status_code == 200:
        shown = response.content.decode()
        own = world.other_holder if audience == OTHER_HOLDER else world.holder
        assert any(mark in shown for mark in world.holder_marks(own))
        if audience != HOLDER:
            assert not any(mark in shown for mark in world.holder_marks(world.holder))


# The back-office ---------------------------------------------------------------------------

WITHOUT_SECOND_FACTOR = "administrator_without_second_factor"
BACK_OFFICE_WAYS_IN = {"admin:login", "admin:login_code", "admin:login_enrolment"}


def back_office_urls() -> dict[str, str]:
    """Every named page of the back-office but its login, with sample arguments."""
    urls = {}
    for _, name, pattern in url_patterns():
        if name and name.startswith("admin:") and name not in BACK_OFFICE_WAYS_IN:
            arguments = {
                key: "holders" if key == "app_label" else "1" for key in pattern.pattern.regex.groupindex
            }
            urls[name] = reverse(name, kwargs=arguments)
    return urls


@pytest.mark.parametrize("audience", [a for a in AUDIENCES if a not in AGENTS] + [WITHOUT_SECOND_FACTOR])
def test_the_back_office_lets_in_only_agents_with_their_second_factor(client, world, audience):
    # given anyone but an agent who gave the second factor
    if audience == WITHOUT_SECOND_FACTOR:
        client.force_login(agent_of(AgentRole.ADMINISTRATOR), backend="cpf.accounts.backends.AgentBackend")
    else:
        sign_in(client, world, audience, api=False)
    urls = back_office_urls()

    # when they open each page of the back-office
    answered = {}
    for name, url in urls.items():
        response = client.get(url)
        answered[name] = (response.status_code, response.get("Location"))

    # then each sends them to its login (the logout, to the back-office's entrance)
    login = login_page("admin:login")
    assert answered == {
        name: (302, reverse("admin:index") if name == "admin:logout" else login(world, url))
        for name, url in urls.items()
    }


@pytest.mark.parametrize("role", AGENTS)
def test_each_agent_role_enters_the_back_office_with_the_second_factor(client, world, role):
    log_in_to_back_office(client, agent_of(role))

    assert client.get(reverse("admin:index")).status_code == 200


# Completeness ------------------------------------------------------------------------------

# The pages and endpoints open to everyone, and why.
PUBLIC = {
    "www:home": "the home page: what the service is, public figures",
    "www:health": "the load balancers' liveness probe, no data",
    "www:legal_notice": "the legal notice: static text (tests/www/test_footer_pages.py)",
    "www:accessibility": "the accessibility statement: static text",
    "www:contact": "whom to contact: static text",
    "www:help": "answers to common questions: static text and today's legal figures",
    "www:search": "the catalogue's search: public data",
    "www:search-places": "places for the search form: public referential",
    "www:search-jobs": "jobs for the search form: public referential",
    "www:training": "a training's page: public catalogue",
    "www:holder:sign_up": "the way in: creating one's access",
    "www:holder:sign_up_done": "the same page after every sign-up, showing only the session's own address",
    "www:holder:activate": "the e-mailed link is the proof",
    "www:holder:login": "the way in",
    "www:holder:password_reset": "the way back in, answering alike for every address",
    "www:holder:password_reset_done": "a static message",
    "www:holder:password_reset_confirm": "the e-mailed link is the proof",
    "www:holder:password_reset_complete": "a static message",
    "www:members:login": "the way in",
    "www:provider:sign_up_done": "the same page after every application, showing only the session's own",
    "www:members:invitation": "the e-mailed link is the proof (tests/www/members/test_invitation_page.py)",
    "www:members:confirm_email": "the e-mailed link is the proof",
    "www:members:password_reset": "the way back in, answering alike for every address",
    "www:members:password_reset_done": "a static message",
    "www:members:password_reset_confirm": "the e-mailed link is the proof",
    "www:members:password_reset_complete": "a static message",
    "admin:login": "the back-office's way in (tests/www/test_backoffice_login.py)",
    "admin:login_code": "the second step of that way in, for the session that gave the password",
    "admin:login_enrolment": "the second step of that way in, for the session that gave the password",
    "api-v1:api-root": "the API's entrance, no data",
    "api-v1:openapi-json": "the API's description",
    "api-v1:openapi-view": "the API's documentation",
    "api-v1:search_trainings": "the catalogue's search: public data",
    "api-v1:training_detail": "a training: public catalogue",
    "api-v1:places": "places: public referential",
    "api-v1:jobs": "jobs: public referential",
    "api-v1:discover": "jobs that recruit and trainings most booked: public figures",
    "api-v1:current_terms": "the terms of use in force",
    "api-v1:create_token": "the way in for the mobile app (tests/api/test_auth.py)",
    # The sandbox payment provider, a separate system served in development and tests only: its
    # API has its own bearer key, its pages the intent's client secret (tests/sandbox_psp/).
    "sandbox_psp:payment_intents": "the sandbox provider's API, behind its own secret key",
    "sandbox_psp:payment_intent": "the sandbox provider's API, behind its own secret key",
    "sandbox_psp:confirm": "the sandbox provider's API, behind its own secret key",
    "sandbox_psp:cancel": "the sandbox provider's API, behind its own secret key",
    "sandbox_psp:refunds": "the sandbox provider's API, behind its own secret key",
    "sandbox_psp:pay": "the payer's page: the intent's client secret is the proof",
    "sandbox_psp:challenge": "the payer's 3-D Secure page: the intent's client secret is the proof",
    # The payment provider's notifications: its signature is the proof, and the payment is read
    # again from the provider before anything is done (tests/payments/test_checkout.py).
    "www:payments:webhook": "the payment provider's signed notifications",
}


def url_patterns(patterns=None, prefix: str = "", namespace: str = ""):
    """Every URL pattern of the URLconf as (route, full name, pattern), included ones too."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            assert isinstance(pattern, URLPattern)
            yield (
                prefix + str(pattern.pattern),
                f"{namespace}{pattern.name}" if pattern.name else None,
                pattern,
            )


def api_operations() -> set[tuple[str, str]]:
    """Every operation of the API as (URL name, method), from django-ninja's own schema."""
    operations = set()
    for path, methods in api.get_openapi_schema()["paths"].items():
        name = resolve(re.sub(r"\{[^}]+\}", "1", path)).view_name
        operations |= {(name, method.upper()) for method in methods}
    return operations


def test_every_url_is_in_the_matrix_or_public():
    patterns = list(url_patterns())
    names = {name for _, name, _ in patterns if name}
    in_matrix = {case.name for case in CASES}
    back_office = {name for name in names if name.startswith("admin:")} - BACK_OFFICE_WAYS_IN

    assert sorted(names - in_matrix - set(PUBLIC) - back_office) == []
    assert sorted((in_matrix | set(PUBLIC)) - names) == []  # nothing listed that is gone
    assert sorted(in_matrix & set(PUBLIC)) == []
    # Unnamed patterns: only Django's own in the back-office (its redirects and catch-all).
    assert [route for route, name, _ in patterns if not name and not route.startswith("admin/")] == []
    # Each method of each API path: a new method on a known path is a new endpoint.
    api_in_matrix = {(case.name, case.method) for case in CASES if case.api}
    assert sorted(op for op in api_operations() - api_in_matrix if op[0] not in PUBLIC) == []
