"""The life of a membership of a provider or a funder (DESIGN.md section 1, docs/adr/0007): an
administrator invites a person by e-mail, the person accepts (creating their login, or with the
one they have), administrators deactivate, reactivate and change the role of members.

Rules every function holds:

- Only an active administrator of the organisation acts for it; an operator's agent may only
  invite the first administrator of an organisation that has none.
- An organisation never loses its last active administrator (deactivation or change of role).
- Memberships are never deleted: deactivated, with ``deactivated_at`` and ``updated_by``.
- Each action writes one event of the audit log (``cpf.core.audit``) in its transaction:
  ``membership.invited``, ``membership.invitation_revoked``, ``membership.joined``,
  ``membership.deactivated``, ``membership.reactivated``, ``membership.role_changed``.
- Lock order, the same everywhere: the organisation's row, then the invitation, then the
  memberships by primary key. Every change to an organisation's members first takes its row, so
  two administrators acting at once are served one after the other and each sees what the
  other did (two administrators deactivating each other: one remains).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from cpf.core import audit
from cpf.core.errors import BusinessError

from . import emails
from .enums import UserKind
from .models import Invitation, Membership, User
from .organisations import OrganisationSide, side_for, side_of, side_of_membership

# How long an invitation link works.
INVITATION_VALIDITY = datetime.timedelta(days=7)

NOT_AN_ADMINISTRATOR = "Seuls les administrateurs de l'organisation peuvent gérer ses membres."
AGENT_FIRST_ADMINISTRATOR_ONLY = (
    "Un agent n'invite que le premier administrateur d'une organisation qui n'en a aucun : "
    "ses administrateurs invitent ensuite leurs membres."
)
ALREADY_MEMBER = "Cette personne est déjà membre de l'organisation."
DEACTIVATED_MEMBER = "Cette personne est un membre désactivé de l'organisation : réactivez-la plutôt."
LAST_ADMINISTRATOR = (
    "L'organisation doit garder au moins un administrateur actif : nommez d'abord un autre administrateur."
)
ALREADY_DEACTIVATED = "Ce membre est déjà désactivé."
ALREADY_ACTIVE = "Ce membre est déjà actif."
INVITATION_NOT_VALID = (
    "Ce lien d'invitation n'est plus valable (il a expiré, a déjà servi ou a été annulé). "
    "Demandez une nouvelle invitation à l'administrateur de l'organisation."
)
LOGIN_EXISTS = (
    "Un accès à l'espace professionnel existe déjà avec cette adresse : connectez-vous pour "
    "accepter l'invitation."
)
OTHER_KIND_OF_LOGIN = (
    "Cette adresse e-mail est déjà utilisée par un autre type de compte ({kind}) : une adresse "
    "ne sert qu'à un seul compte. Demandez à être invité avec une autre adresse."
)
WRONG_LOGIN = "Cette invitation a été envoyée à {email} : connectez-vous avec cette adresse pour l'accepter."
MEMBERSHIP_DEACTIVATED = (
    "Votre accès à cette organisation a été désactivé : adressez-vous à son administrateur."
)


class MembershipRefused(BusinessError):
    """A membership action refused for a business reason; ``field`` names the form field the
    French message is about, when there is one (``BusinessError.field``)."""

    code = "membership_refused"


@dataclass(frozen=True)
class NewLogin:
    """What a new person types to accept an invitation: the address comes from the invitation."""

    first_name: str
    last_name: str
    password: str


def hash_invitation_token(token: str) -> str:
    """Tokens are random (256 bits): a plain SHA-256 keeps them useless if the table leaks."""
    return hashlib.sha256(token.encode()).hexdigest()


def invite_member(
    *,
    organisation: Any,
    email: str,
    as_admin: bool,
    invited_by: User,
    now: datetime.datetime,
    site_url: str,
) -> Invitation:
    """Send a person an invitation to join ``organisation`` (a provider or a funder), as a
    member or an administrator, by a link valid ``INVITATION_VALIDITY``. An open invitation to
    the same address is revoked: its link stops working, the new one is sent. Whether the
    address already has a login is not told here (that would reveal who uses the service): the
    person learns it when opening the link."""
    side = side_of(organisation)
    email = _clean_email(email)
    with transaction.atomic():
        organisation = _lock_organisation(side, organisation)
        _check_may_invite(side, organisation, invited_by, as_admin=as_admin)
        _refuse_existing_member(side, organisation, email)
        replaced = [
            _revoke(previous, by=invited_by, now=now)
            for previous in Invitation.objects.for_organisation(organisation)
            .select_for_update()
            .filter(email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True)
        ]
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            organisation_type=side.type,
            **{side.field: organisation},
            email=email,
            as_admin=as_admin,
            token_hash=hash_invitation_token(token),
            invited_by=invited_by,
            sent_at=now,
            expires_at=now + INVITATION_VALIDITY,
        )
        changes = audit.diff({}, audit.snapshot(invitation, ["email", "as_admin", "expires_at"]))
        if replaced:  # the link sent before stops working
            changes["replaced_invitation"] = (replaced[0].pk, None)
        audit.record_event(
            event="membership.invited",
            target=invitation,
            at=now,
            actor=invited_by,
            changes=changes,
            organisation=organisation,
        )
        # In the transaction (docs/adr/0010): the e-mail's job is committed with the invitation.
        emails.send_invitation_email(invitation=invitation, token=token, site_url=site_url)
    return invitation


def revoke_invitation(*, invitation: Invitation, by: User, now: datetime.datetime) -> None:
    """An administrator withdraws an invitation not accepted yet: its link stops working."""
    side = side_for(invitation.organisation_type)
    with transaction.atomic():
        organisation = _lock_organisation(side, invitation.organisation)
        _check_is_admin(organisation, by)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None or invitation.revoked_at is not None:
            raise MembershipRefused(
                "Cette invitation a déjà été acceptée ou annulée.", code="invitation_closed"
            )
        _revoke(invitation, by=by, now=now)
        audit.record_event(
            event="membership.invitation_revoked",
            target=invitation,
            at=now,
            actor=by,
            changes={"revoked_at": (None, now)},
            organisation=organisation,
        )


def find_open_invitation(*, token: str, now: datetime.datetime) -> Invitation | None:
    """The invitation a link names, if it still works."""
    return (
        Invitation.objects.open(now)
        .select_related("provider", "funder", "invited_by")
        .filter(token_hash=hash_invitation_token(token))
        .first()
    )


def login_for_address(email: str) -> User | None:
    """The login that already uses this address (any case), if any."""
    return User.objects.filter(email__iexact=email).first()


def refusal_for_login(*, invitation: Invitation, user: User) -> str:
    """Why this logged-in person cannot accept this invitation ("" when they can): the link
    must be opened with the login of the address invited, of the invitation's kind."""
    refused = _login_refusal(invitation, user)
    return refused.message if refused is not None else ""


def _login_refusal(invitation: Invitation, user: User) -> MembershipRefused | None:
    if user.email.lower() != invitation.email.lower():
        return MembershipRefused(WRONG_LOGIN.format(email=invitation.email), code="wrong_login")
    if user.kind != side_for(invitation.organisation_type).member_kind:
        kind = user.get_kind_display()
        return MembershipRefused(OTHER_KIND_OF_LOGIN.format(kind=kind), code="other_kind_of_login")
    return None


def refusal_for_new_login(*, invitation: Invitation) -> str:
    """Why a new login cannot be created for this invitation ("" when it can): the address has
    a login already (``LOGIN_EXISTS``: log in with it; or one of another kind)."""
    try:
        _refuse_taken_address(invitation.email, side_for(invitation.organisation_type))
    except MembershipRefused as refused:
        return refused.messages[0]
    return ""


def accept_invitation(*, token: str, user: User, now: datetime.datetime) -> Membership:
    """A person who already has a login of the invitation's kind, logged in with the address
    invited, joins the organisation. Opening the link proves the address: it is confirmed."""
    with transaction.atomic():
        invitation, side, organisation = _lock_open_invitation(token, now)
        refused = _login_refusal(invitation, user)
        if refused is not None:
            raise refused
        user = User.objects.select_for_update().get(pk=user.pk)
        changes: dict[str, tuple[object, object]] = {}
        if user.email_confirmed_at is None:
            user.email_confirmed_at = now
            user.save(update_fields=["email_confirmed_at"])
            changes["email_confirmed_at"] = (None, now)
        return _join(side, organisation, invitation, user, now=now, changes=changes)


@sensitive_variables("new_login")
def accept_invitation_with_new_login(
    *, token: str, new_login: NewLogin, now: datetime.datetime
) -> Membership:
    """A person without a login accepts: their login (of the invitation's kind, the address
    confirmed since the link proves it) and their membership are created together. An address
    used by any login already is refused: by a member, who must log in first; by another kind
    of login (a holder, an agent, a member of the other kind of organisation), for good."""
    with transaction.atomic():
        invitation, side, organisation = _lock_open_invitation(token, now)
        _refuse_taken_address(invitation.email, side)
        user = User(
            username=invitation.email.lower(),
            kind=side.member_kind,
            email=invitation.email,
            first_name=new_login.first_name.strip(),
            last_name=new_login.last_name.strip(),
            email_confirmed_at=now,
            date_joined=now,
        )
        _validate_password(new_login.password, user)
        user.set_password(new_login.password)
        try:
            with transaction.atomic():  # a sign-up with the same address may have just won
                user.save()
        except IntegrityError:
            raise MembershipRefused(LOGIN_EXISTS, field="email", code="login_exists") from None
        return _join(
            side, organisation, invitation, user, now=now, changes={"login_created": (None, user.pk)}
        )


def deactivate_member(*, membership: Membership, by: User, now: datetime.datetime) -> Membership:
    """An administrator removes a person from the organisation: the membership is kept,
    inactive and dated. The last active administrator cannot be deactivated."""
    side = side_of_membership(membership)
    with transaction.atomic():
        organisation = _lock_organisation(side, getattr(membership, side.field))
        _check_is_admin(organisation, by)
        membership = _lock_membership(side, membership)
        if not membership.is_active:
            raise MembershipRefused(ALREADY_DEACTIVATED, code="already_deactivated")
        if membership.is_admin:
            _refuse_losing_last_admin(side, organisation, membership)
        _change(
            membership,
            event="membership.deactivated",
            values={"is_active": False, "deactivated_at": now},
            by=by,
            now=now,
            organisation=organisation,
        )
    return membership


def reactivate_member(*, membership: Membership, by: User, now: datetime.datetime) -> Membership:
    """An administrator gives a deactivated member their access back, in the role they had."""
    side = side_of_membership(membership)
    with transaction.atomic():
        organisation = _lock_organisation(side, getattr(membership, side.field))
        _check_is_admin(organisation, by)
        membership = _lock_membership(side, membership)
        if membership.is_active:
            raise MembershipRefused(ALREADY_ACTIVE, code="already_active")
        _change(
            membership,
            event="membership.reactivated",
            values={"is_active": True, "deactivated_at": None},
            by=by,
            now=now,
            organisation=organisation,
        )
    return membership


def change_role(*, membership: Membership, is_admin: bool, by: User, now: datetime.datetime) -> bool:
    """An administrator makes a member administrator, or an administrator a plain member (never
    the last active one). Returns False when the role was already that one (nothing written)."""
    side = side_of_membership(membership)
    with transaction.atomic():
        organisation = _lock_organisation(side, getattr(membership, side.field))
        _check_is_admin(organisation, by)
        membership = _lock_membership(side, membership)
        if membership.is_admin == is_admin:
            return False
        if not is_admin:
            _refuse_losing_last_admin(side, organisation, membership)
        _change(
            membership,
            event="membership.role_changed",
            values={"is_admin": is_admin},
            by=by,
            now=now,
            organisation=organisation,
        )
    return True


def is_active_admin(*, organisation: Any, user: User) -> bool:
    """Whether this login may manage the organisation's members."""
    if not user.is_authenticated:
        return False
    return side_of(organisation).memberships(organisation).active().filter(user=user, is_admin=True).exists()


def _clean_email(email: str) -> str:
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise MembershipRefused(
            "Saisissez une adresse e-mail valide.", field="email", code="invalid_email"
        ) from None
    return email


def _lock_organisation(side: OrganisationSide, organisation: Any) -> Any:
    return side.model.objects.select_for_update(of=("self",)).get(pk=organisation.pk)


def _lock_membership(side: OrganisationSide, membership: Membership) -> Membership:
    return (
        side.membership_model.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=membership.pk)
    )


def _check_is_admin(organisation: Any, user: User) -> None:
    """Read under the organisation's lock: an administrator deactivated a moment ago is seen so."""
    if not is_active_admin(organisation=organisation, user=user):
        raise MembershipRefused(NOT_AN_ADMINISTRATOR, code="not_an_administrator")


def _check_may_invite(side: OrganisationSide, organisation: Any, user: User, *, as_admin: bool) -> None:
    if user.kind != UserKind.AGENT:
        _check_is_admin(organisation, user)
        return
    has_admin = side.memberships(organisation).active().filter(is_admin=True).exists()
    if not (user.is_active and as_admin and not has_admin):
        raise MembershipRefused(AGENT_FIRST_ADMINISTRATOR_ONLY, code="agent_first_administrator_only")


def _refuse_existing_member(side: OrganisationSide, organisation: Any, email: str) -> None:
    existing = side.memberships(organisation).filter(user__email__iexact=email).first()
    if existing is None:
        return
    if existing.is_active:
        raise MembershipRefused(ALREADY_MEMBER, field="email", code="already_member")
    raise MembershipRefused(DEACTIVATED_MEMBER, field="email", code="deactivated_member")


def _refuse_losing_last_admin(side: OrganisationSide, organisation: Any, membership: Membership) -> None:
    others = side.memberships(organisation).active().filter(is_admin=True).exclude(pk=membership.pk)
    if not others.exists():
        raise MembershipRefused(LAST_ADMINISTRATOR, code="last_administrator")


def _refuse_taken_address(email: str, side: OrganisationSide) -> None:
    login = login_for_address(email)
    if login is None:
        return
    if login.kind == side.member_kind:
        raise MembershipRefused(LOGIN_EXISTS, field="email", code="login_exists")
    kind = login.get_kind_display()
    raise MembershipRefused(OTHER_KIND_OF_LOGIN.format(kind=kind), field="email", code="other_kind_of_login")


@sensitive_variables("password")
def _validate_password(password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as refused:
        raise MembershipRefused(" ".join(refused.messages), field="password", code="weak_password") from None


def _lock_open_invitation(token: str, now: datetime.datetime) -> tuple[Invitation, OrganisationSide, Any]:
    """The invitation of this link and its organisation, both locked (organisation first), or
    a refusal when the link no longer works."""
    found = find_open_invitation(token=token, now=now)
    if found is None:
        raise MembershipRefused(INVITATION_NOT_VALID, code="invitation_not_valid")
    side = side_for(found.organisation_type)
    organisation = _lock_organisation(side, found.organisation)
    invitation = Invitation.objects.select_for_update().filter(pk=found.pk).open(now).first()
    if invitation is None:  # accepted or revoked while we waited for the lock
        raise MembershipRefused(INVITATION_NOT_VALID, code="invitation_not_valid")
    return invitation, side, organisation


def _join(
    side: OrganisationSide,
    organisation: Any,
    invitation: Invitation,
    user: User,
    *,
    now: datetime.datetime,
    changes: dict[str, tuple[object, object]],
) -> Membership:
    """The membership the invitation grants (the one the person has if already active), the
    invitation marked accepted, and the event that says so."""
    membership = side.memberships(organisation).filter(user=user).first()
    if membership is not None and not membership.is_active:
        raise MembershipRefused(MEMBERSHIP_DEACTIVATED, code="membership_deactivated")
    if membership is None:
        membership = side.membership_model.objects.create(
            user=user,
            **{side.field: organisation},
            is_admin=invitation.as_admin,
            joined_at=now,
            invited_by=invitation.invited_by,
            updated_at=now,
        )
        changes |= audit.diff({}, audit.snapshot(membership, ["user", "is_admin", "is_active"]))
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record_event(
        event="membership.joined",
        target=membership,
        at=now,
        actor=user,
        changes={"invitation": (None, invitation.pk), **changes},
        organisation=organisation,
    )
    return membership


def _revoke(invitation: Invitation, *, by: User | None, now: datetime.datetime) -> Invitation:
    invitation.revoked_at = now
    invitation.revoked_by = by
    invitation.save(update_fields=["revoked_at", "revoked_by"])
    return invitation


def _change(
    membership: Membership,
    *,
    event: str,
    values: dict[str, Any],
    by: User,
    now: datetime.datetime,
    organisation: Any,
) -> None:
    """Set ``values`` on the locked membership, stamp who changed it, and record the event with
    the old and new values."""
    before = audit.snapshot(membership, values)
    for field, value in values.items():
        setattr(membership, field, value)
    membership.updated_by = by
    membership.updated_at = now
    membership.save(update_fields=[*values, "updated_by", "updated_at"])
    audit.record_event(
        event=event,
        target=membership,
        at=now,
        actor=by,
        changes=audit.diff(before, audit.snapshot(membership, values)),
        organisation=organisation,
    )
