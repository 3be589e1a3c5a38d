"""The back-office permission matrix: each agents' role × the admin's pages (list, change, add)
→ allowed (200) or refused (403); the actions of status changes listed only for the roles that
own them; an action refused changes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from cpf.accounts.enums import AgentRole
from cpf.holders.services import issue_api_token
from cpf.providers.enums import ProviderStatus
from cpf.rights import services as rights
from cpf.rights.enums import FunderKind
from tests.accounts.support import agent_with_roles, login_agent
from tests.bookings.money_support import RegistrationFactory
from tests.factories import ProviderFactory, SessionFactory
from tests.holders.factories import NIR, TermsVersionFactory, holder_with_login

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)
S, Q, F, P, A = (
    AgentRole.SUPPORT,
    AgentRole.QUALITY,
    AgentRole.FRAUD,
    AgentRole.PAYMENTS,
    AgentRole.ADMINISTRATOR,
)
NO_ROLE = None
ROLES = [S, Q, F, P, A, NO_ROLE]

# (admin URL name, object it opens or None, the roles allowed)
PAGES: list[tuple[str, str | None, set]] = [
    ("holders_holder_changelist", None, {S, F, A}),
    ("holders_holder_change", "holder", {S, F, A}),
    ("holders_holder_add", None, set()),
    ("holders_termsversion_changelist", None, {S, A}),
    ("holders_termsversion_add", None, {A}),
    ("holders_apitoken_changelist", None, {S, F, A}),
    ("catalogue_training_changelist", None, {S, Q, F, A}),
    ("catalogue_training_change", "training", {S, Q, F, A}),
    ("catalogue_training_add", None, {A}),
    ("catalogue_action_change", "action", {S, Q, F, A}),
    ("catalogue_session_changelist", None, {S, Q, F, A}),
    ("catalogue_trainingtransition_changelist", None, {S, Q, F, A}),
    ("providers_provider_changelist", None, {Q, F, P, A}),
    ("providers_provider_change", "provider", {Q, F, P, A}),
    ("providers_provider_add", None, {A}),
    ("providers_providertransition_changelist", None, {Q, F, P, A}),
    ("providers_bankdetails_changelist", None, {F, P, A}),
    ("providers_bankdetails_change", "bank_details", {F, P, A}),
    ("providers_bankdetails_add", None, set()),
    # Renewed Qualiopi certificates and Kbis: checked by the quality role, read by fraud.
    ("providers_documentrenewal_changelist", None, {Q, F, A}),
    ("providers_documentrenewal_add", None, set()),
    ("referentials_certification_changelist", None, {Q, A}),
    ("ledger_account_changelist", None, {F, P, A}),
    ("ledger_transaction_changelist", None, {F, P, A}),
    ("rights_grant_changelist", None, {F, P, A}),
    ("rights_grant_change", "grant", {F, P, A}),
    ("rights_funder_changelist", None, {F, P, A}),
    ("rights_funder_add", None, {A}),
    ("rights_creditingrun_changelist", None, {F, P, A}),
    ("rights_declaration_changelist", None, {F, A}),
    ("accounts_user_changelist", None, {A}),
    ("accounts_user_add", None, {A}),
    ("auth_group_changelist", None, {A}),
    ("auth_group_add", None, set()),
    ("core_workerheartbeat_changelist", None, {A}),
    ("core_auditevent_changelist", None, {S, F, A}),
    ("core_legalparameter_changelist", None, {A}),
    ("core_legalparameter_add", None, {A}),
    ("procrastinate_procrastinatejob_changelist", None, {A}),
    ("bookings_registration_changelist", None, {S, F, P, A}),
    ("bookings_registration_change", "registration", {S, F, P, A}),
    ("bookings_registration_add", None, set()),
    ("bookings_registration_delete", "registration", set()),
    # Payment runs (rules 20, 23): the payments role and administrators only.
    ("payouts_payoutrun_changelist", None, {P, A}),
    ("payouts_dashboard", None, {P, A}),
    ("payouts_payoutrun_add", None, set()),
    ("payouts_transfer_changelist", None, {P, A}),
]

# The service actions of each list, by role (Django's "delete selected" where the role may delete).
ACTIONS: dict[str, dict] = {
    "providers_provider_changelist": {
        Q: [
            "delist_provider_action",
            "reference_provider_action",
            "refuse_provider_action",
            "suspend_provider_action",
        ],
        F: ["suspend_provider_action"],
        A: [
            "delete_selected",
            "delist_provider_action",
            "reference_provider_action",
            "refuse_provider_action",
            "submit_bank_details_action",
            "suspend_provider_action",
        ],
    },
    "catalogue_training_changelist": {
        Q: ["publish_training_action", "suspend_training_action", "unpublish_training_action"],
        F: ["suspend_training_action"],
        A: [
            "delete_selected",
            "publish_training_action",
            "suspend_training_action",
            "unpublish_training_action",
        ],
    },
    "catalogue_action_changelist": {
        Q: ["change_action_price_action"],
        A: ["change_action_price_action", "delete_selected"],
    },
    "catalogue_session_changelist": {
        Q: ["change_session_status_action"],
        A: ["change_session_status_action", "delete_selected"],
    },
    "providers_bankdetails_changelist": {
        P: ["reject_bank_details_action", "verify_bank_details_action"],
        A: ["reject_bank_details_action", "verify_bank_details_action"],
    },
    "providers_documentrenewal_changelist": {
        Q: ["accept_document_renewal_action", "refuse_document_renewal_action"],
        A: ["accept_document_renewal_action", "refuse_document_renewal_action"],
    },
    # rule 21: the fraud and payments teams open and close controls of the service done
    "bookings_registration_changelist": {
        F: ["close_service_done_control_action", "open_service_done_control_action"],
        P: [
            "cancel_by_operator_action",
            "close_service_done_control_action",
            "open_service_done_control_action",
        ],
        A: [
            "cancel_by_operator_action",
            "close_service_done_control_action",
            "open_service_done_control_action",
        ],
    },
    "payouts_transfer_changelist": {P: ["reject_transfer_action"], A: ["reject_transfer_action"]},
    "holders_holder_changelist": {
        S: ["deactivate_holder_login_action", "reactivate_holder_login_action"],
        A: [
            "correct_holder_identity_action",
            "deactivate_holder_login_action",
            "reactivate_holder_login_action",
        ],
    },
}


@pytest.fixture
def world():
    """One object of each kind the change pages open."""
    provider = ProviderFactory()
    session = SessionFactory(action__training__provider=provider)
    holder = holder_with_login(accepted=TermsVersionFactory())
    issue_api_token(holder=holder, now=NOW)
    funder = rights.create_funder(kind=FunderKind.REGION, name="Région Bretagne")
    grant = rights.add_grant(
        funder=funder, nir=holder.nir, amount_cents=500_00, funder_reference="R-1", actor=None
    ).grant
    return {
        "registration": RegistrationFactory(),
        "provider": provider,
        "bank_details": provider.bank_details.get(),
        "training": session.action.training,
        "action": session.action,
        "holder": holder,
        "grant": grant,
    }


def logged_in(client, role) -> None:
    login_agent(client, agent_with_roles(f"agent-{role or 'sans-role'}", *([role] if role else [])))


def url(name: str, obj) -> str:
    return reverse(f"admin:{name}", args=[obj.pk] if obj is not None else [])


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "no-role")
def test_each_role_opens_exactly_its_pages(client, world, role):
    logged_in(client, role)

    answered = {
        name: client.get(url(name, world.get(key) if key else None)).status_code for name, key, _ in PAGES
    }

    assert answered == {name: 200 if role in allowed else 403 for name, _, allowed in PAGES}


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "no-role")
def test_each_role_is_offered_only_the_actions_it_owns(client, world, role):
    logged_in(client, role)

    offered = {}
    for name in ACTIONS:
        response = client.get(url(name, None))
        form = response.context["action_form"] if response.status_code == 200 else None
        offered[name] = sorted(value for value, _ in form.fields["action"].choices if value) if form else []

    assert offered == {name: by_role.get(role, []) for name, by_role in ACTIONS.items()}


def test_the_admin_index_opens_for_an_agent_without_a_role_but_shows_nothing(client):
    logged_in(client, NO_ROLE)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert response.context["app_list"] == []


def test_an_action_posted_by_a_role_that_does_not_own_it_changes_nothing(client):
    # given an applying provider and a payments agent
    provider = ProviderFactory(applying=True)
    logged_in(client, P)

    # when the agent posts the referencing action anyway
    response = client.post(
        reverse("admin:providers_provider_changelist"),
        {"action": "reference_provider_action", "_selected_action": [provider.pk]},
    )

    # then it is not run: the provider still applies, no transition logged
    provider.refresh_from_db()
    assert response.status_code in (200, 302)
    assert provider.status == ProviderStatus.APPLYING
    assert provider.transitions.count() == 0


def test_a_holder_or_member_never_enters_the_back_office(client):
    holder = holder_with_login(nir=NIR, accepted=TermsVersionFactory())
    client.force_login(holder.user)

    response = client.get(reverse("admin:holders_holder_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
