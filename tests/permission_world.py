"""The world the permission matrix (``tests/test_permission_matrix.py``) sends its requests
into: the audiences, two holders, organisations of each side with their members, and what is
watched for a change."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.accounts.enums import AgentRole, OrganisationType, UserKind
from cpf.accounts.models import FunderMembership, Invitation, ProviderMembership, User
from cpf.accounts.roles import role_group
from cpf.bookings import services as bookings
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import PurchaseCode, Registration, RegistrationTransition
from cpf.catalogue.enums import ImportStatus
from cpf.catalogue.models import Action, CatalogueImport, Session, Training
from cpf.core.models import AuditEvent
from cpf.holders.models import ApiToken, Holder, TermsAcceptance
from cpf.holders.services import issue_api_token
from cpf.invoicing.models import Invoice
from cpf.ledger.models import Transaction
from cpf.providers.api_keys import create_api_key
from cpf.providers.documents import CheckedFile, store_document
from cpf.providers.enums import DocumentKind
from cpf.providers.models import BankDetails, DocumentRenewal, Provider, ProviderApiKey, ProviderDocument
from cpf.rights import services as rights
from cpf.rights.enums import FunderKind
from cpf.rights.models import Grant
from cpf.webhooks.models import WebhookEndpoint
from tests.accounts.factories import NOW, log_in_to_back_office, member_of, membership_of
from tests.bookings.states import file_in
from tests.factories import ActionFactory, ProviderFactory, SessionFactory, TrainingFactory
from tests.holders.factories import OTHER_NIR, TermsVersionFactory, holder_with_login
from tests.holders.rights_data import credit_year
from tests.providers.onboarding_support import pdf_bytes

# The audiences, in the order of the matrix.
ANONYMOUS = "anonymous"
HOLDER = "holder"
OTHER_HOLDER = "other_holder"
AGENTS = [role.value for role in AgentRole]  # support, quality, fraud, payments, administrator
SIDES = [OrganisationType.PROVIDER.value, OrganisationType.FUNDER.value]
# Per side: a member and an administrator of the organisation, and an administrator of another
# one (the strongest member there is, elsewhere).
MEMBERS = [f"{side}_{rank}" for side in SIDES for rank in ("member", "admin")] + [
    f"other_{side}" for side in SIDES
]
AUDIENCES = [ANONYMOUS, HOLDER, OTHER_HOLDER, *sorted(MEMBERS), *AGENTS]

# What the pages show of the holder; no one else may read it.
HOLDER_EMAIL = "camille.martin@example.fr"
HOLDER_CREDIT_CENTS = 123_45
OTHER_CREDIT_CENTS = 678_90


# The world ---------------------------------------------------------------------------------


@dataclass
class World:
    holder: Holder
    other_holder: Holder
    organisations: dict[str, Any]  # by side: the organisation the requests are about
    other_organisations: dict[str, Any]
    members: dict[str, User]  # by audience
    targets: dict[tuple[str, str], Any] = field(default_factory=dict)  # (side, which) → membership
    invitations: dict[str, Invitation] = field(default_factory=dict)  # by side
    session: Any = None  # a session of the provider's, open to requests
    registrations: dict[str, Any] = field(default_factory=dict)  # the holder's files, by state
    # The holder's request the provider has to answer (``registrations["requested"]``), and an
    # API key of each provider (the member audiences of the provider side call the providers'
    # API with their provider's).
    registration: Registration | None = None
    api_keys: dict[str, ProviderApiKey] = field(default_factory=dict)  # "own" / "other"
    raw_api_keys: dict[str, str] = field(default_factory=dict)
    # A complete draft training of the provider's, with its action and session, and a catalogue
    # file its member sent (the offers' pages).
    offer: Session | None = None
    catalogue_import: CatalogueImport | None = None
    documents: dict[str, ProviderDocument] = field(default_factory=dict)  # "own" / "other"

    def organisation(self, side: str, *, other: bool = False):
        return (self.other_organisations if other else self.organisations)[side]

    def holder_marks(self, holder: Holder) -> list[str]:
        """What a page or an answer about this holder shows of them."""
        cents = HOLDER_CREDIT_CENTS if holder == self.holder else OTHER_CREDIT_CENTS
        return [holder.masked_nir, holder.user.email, f"{cents // 100},{cents % 100:02d}", str(cents)]


def make_organisation(side: str, name: str):
    if side == OrganisationType.PROVIDER:
        return ProviderFactory(legal_name=f"Organisme {name}")
    return rights.create_funder(kind=FunderKind.OPCO, name=f"OPCO {name}")


def add_members(world: World, side: str) -> None:
    organisation, other = world.organisation(side), world.organisation(side, other=True)
    domain = f"{side}.example"
    world.members[f"{side}_admin"] = admin = member_of(organisation, f"admin@{domain}", is_admin=True)
    world.members[f"{side}_member"] = member_of(organisation, f"membre@{domain}")
    world.members[f"other_{side}"] = member_of(other, f"admin@autre-{domain}", is_admin=True)
    for which, is_admin in (("plain", False), ("admin", True), ("deactivated", False)):
        world.targets[side, which] = membership_of(
            organisation, member_of(organisation, f"cible-{which}@{domain}", is_admin=is_admin)
        )
    deactivated = world.targets[side, "deactivated"]
    deactivated.is_active, deactivated.deactivated_at = False, NOW
    deactivated.save(update_fields=["is_active", "deactivated_at"])
    world.invitations[side] = Invitation.objects.create(
        organisation_type=side,
        **{side: organisation},
        email=f"invitee@{domain}",
        token_hash=side[0] * 64,
        invited_by=admin,
        sent_at=NOW,
        expires_at=NOW + datetime.timedelta(days=7),
    )


def build_world() -> World:
    """Two holders with rights (the holder with a live mobile token), and for each side an
    organisation with its members, a member to act on of each state, an open invitation, and
    another organisation with its administrator."""
    terms = TermsVersionFactory(in_force_from=NOW.date() - datetime.timedelta(days=30))
    holder = holder_with_login(email=HOLDER_EMAIL, accepted=terms)
    other_holder = holder_with_login(nir=OTHER_NIR, email="autre.titulaire@example.fr", accepted=terms)
    credit_year(holder, year=2025, amount_cents=HOLDER_CREDIT_CENTS)
    credit_year(other_holder, year=2025, amount_cents=OTHER_CREDIT_CENTS)
    issue_api_token(holder=holder, now=NOW)
    world = World(
        holder=holder,
        other_holder=other_holder,
        organisations={side: make_organisation(side, "Atlas") for side in SIDES},
        other_organisations={side: make_organisation(side, "Autre") for side in SIDES},
        members={},
    )
    for side in SIDES:
        add_members(world, side)
    add_registrations(world)
    add_provider_keys(world)
    add_offers(world)
    add_provider_documents(world)
    return world


def add_offers(world: World) -> None:
    provider = world.organisation(OrganisationType.PROVIDER)
    training = TrainingFactory(provider=provider, reference="OFFRE-1")
    world.offer = SessionFactory(action=ActionFactory(training=training, reference="A1"), reference="S1")
    world.catalogue_import = CatalogueImport.objects.create(
        provider=provider,
        created_by=world.members["provider_member"],
        file_name="catalogue.csv",
        status=ImportStatus.DONE,
        created_at=NOW,
        finished_at=NOW,
    )


def add_registrations(world: World) -> None:
    """A session of the provider's open to requests, and three files of the holder on it: a
    request the provider has not answered, one it answered with its proposal, one accepted."""
    provider = world.organisation(OrganisationType.PROVIDER)
    action = ActionFactory(training=TrainingFactory(provider=provider, published=True), prerequisites="")
    world.session = SessionFactory(action=action, start_date=datetime.date(2027, 3, 1), seats=10)
    world.registrations["requested"] = bookings.request_registration(
        holder=world.holder, session=world.session, now=NOW
    )
    proposed = bookings.request_registration(holder=world.holder, session=world.session, now=NOW)
    world.registrations["proposed"] = bookings.validate_registration(
        registration=proposed, actor=None, now=NOW
    )
    world.registrations["accepted"] = file_in(
        RegistrationStatus.ACCEPTED, holder=world.holder, session=world.session, now=NOW
    )
    world.registration = world.registrations["requested"]


def add_provider_keys(world: World) -> None:
    """An API key of each provider, created by one of its administrators."""
    for which, other in (("own", False), ("other", True)):
        organisation = world.organisation(OrganisationType.PROVIDER, other=other)
        creator = world.members["other_provider" if other else "provider_admin"]
        world.api_keys[which], world.raw_api_keys[which] = create_api_key(
            provider=organisation, name="Logiciel", actor=creator, now=NOW
        )


def add_provider_documents(world: World) -> None:
    """A Kbis of each provider, stored as a real file."""
    for which, other in (("own", False), ("other", True)):
        world.documents[which] = store_document(
            provider=world.organisation(OrganisationType.PROVIDER, other=other),
            kind=DocumentKind.KBIS,
            checked=CheckedFile(name="kbis.pdf", content=pdf_bytes(), content_type="application/pdf"),
            issued_on=NOW.date(),
            actor=None,
            now=NOW,
        )


def agent_of(role: str) -> User:
    """An agent holding one role (the groups were synchronised with the world)."""
    user = User.objects.create_user(username=f"agent-{role}", kind=UserKind.AGENT, is_staff=True)
    user.groups.set([role_group(AgentRole(role))])
    return user


def sign_in(client: Client, world: World, audience: str, *, api: bool) -> dict[str, str]:
    """Log ``client`` in as ``audience``; the headers its requests carry (a holder's bearer
    token for the API)."""
    if audience in (HOLDER, OTHER_HOLDER):
        holder = world.holder if audience == HOLDER else world.other_holder
        if api:
            _, raw = issue_api_token(holder=holder, now=NOW)
            return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        client.force_login(holder.user)
    elif audience in AGENTS:
        log_in_to_back_office(client, agent_of(audience))
    elif audience != ANONYMOUS:
        client.force_login(world.members[audience])
        if api and audience in PROVIDER_KEYS:
            return {"HTTP_AUTHORIZATION": f"Bearer {world.raw_api_keys[PROVIDER_KEYS[audience]]}"}
    return {}


# The provider audiences call the providers' API with a key of their provider.
PROVIDER_KEYS = {"provider_member": "own", "provider_admin": "own", "other_provider": "other"}


# What is watched for a change --------------------------------------------------------------


def organisations_rows(world: World, client: Client) -> tuple:
    """Memberships, invitations, grants and money, the audit log and the e-mails waiting."""
    return (
        list(ProviderMembership.objects.order_by("pk").values_list("pk", "is_admin", "is_active")),
        list(FunderMembership.objects.order_by("pk").values_list("pk", "is_admin", "is_active")),
        list(Invitation.objects.order_by("pk").values_list("pk", "revoked_at", "accepted_at")),
        Grant.objects.count(),
        Transaction.objects.count(),
        AuditEvent.objects.count(),
        ProcrastinateJob.objects.count(),
    )


def holder_rows(world: World, client: Client) -> tuple:
    """The holder's acceptances of the terms and mobile tokens (another holder acting on their
    own leaves them as they are)."""
    return (
        TermsAcceptance.objects.filter(holder=world.holder).count(),
        list(ApiToken.objects.filter(holder=world.holder).order_by("pk").values_list("pk", "revoked_at")),
    )


def registration_rows(world: World, client: Client) -> tuple:
    """The files, their states and their histories, the one-time purchase codes sent."""
    return (
        list(Registration.objects.order_by("pk").values_list("pk", "status", "payment_state")),
        RegistrationTransition.objects.count(),
        PurchaseCode.objects.count(),
    )


def provider_rows(world: World, client: Client) -> tuple:
    """The provider's files and API keys, the ledger and the audit log."""
    return (
        list(Registration.objects.order_by("pk").values_list("pk", "status", "deadline_at")),
        RegistrationTransition.objects.count(),
        list(ProviderApiKey.objects.order_by("pk").values_list("pk", "revoked_at")),
        list(Invoice.objects.order_by("pk").values_list("pk", "status")),
        list(WebhookEndpoint.objects.order_by("pk").values_list("pk", "url", "secret_sealed")),
        Transaction.objects.count(),
        AuditEvent.objects.count(),
    )


def offer_rows(world: World, client: Client) -> tuple:
    """The providers' trainings, actions and sessions, the catalogue files sent, the audit log."""
    return (
        list(Training.objects.order_by("pk").values_list("pk", "reference", "title", "status")),
        list(Action.objects.order_by("pk").values_list("pk", "reference", "price_cents")),
        list(Session.objects.order_by("pk").values_list("pk", "reference", "seats")),
        CatalogueImport.objects.count(),
        AuditEvent.objects.count(),
    )


def onboarding_rows(world: World, client: Client) -> tuple:
    """Providers, logins, memberships, bank details, documents (and those renewed) and the
    e-mails waiting."""
    return (
        list(Provider.objects.order_by("pk").values_list("pk", "status")),
        User.objects.count(),
        ProviderMembership.objects.count(),
        list(BankDetails.objects.order_by("pk").values_list("pk", "status")),
        ProviderDocument.objects.count(),
        list(DocumentRenewal.objects.order_by("pk").values_list("pk", "status")),
        ProcrastinateJob.objects.count(),
    )


def session_user(world: World, client: Client) -> Any:
    return client.session.get("_auth_user_id")


def new_terms(world: World) -> None:
    """A new version of the terms in force: the holders have to accept it."""
    TermsVersionFactory(in_force_from=NOW.date())
