"""The operator's agents' roles, as code (issue 13, docs/adr/0009-agents-roles-as-code.md).

Each role is a Django group named after ``AgentRole`` and holds exactly the permissions declared
here; ``manage.py sync_agent_roles`` creates the groups and the custom permissions, adds what is
declared and removes what is not. A role sees and does in the back-office only what its work
needs:

- **support** answers holders: their accounts, terms acceptances and mobile tokens (read), the
  audit log of holders' accounts, the catalogue (read), their registration files (read), and
  deactivates or reactivates a holder's login;
- **quality** references providers and moderates the catalogue (reference, refuse, suspend,
  de-list; accept or refuse their renewed Qualiopi certificates and Kbis; publish, unpublish,
  suspend; prices and sessions through their services) and reads the referentials;
- **fraud** reads what an investigation needs (providers, bank details, offers, holders,
  registration files, the ledger, grants, the audit log) and suspends providers and trainings;
- **payments** reads the ledger, funders, grants, crediting runs and registration files,
  verifies or rejects providers' bank details, cancels a file as the operator (its rights
  re-credited and its card payments refunded: a decision on money, rule 13), starts payment
  runs, reads what is due and paid to providers and records a transfer the bank returned;
- **administrator** does everything, the agents and the legal parameters included.

Permissions are written ``"app_label.model": {actions}``, where an action is one of Django's
``view``, ``add``, ``change``, ``delete`` or a custom codename of ``CUSTOM_PERMISSIONS``.
Superusers bypass all of this: production has none but the first administrator's break-glass
account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.apps import apps
from django.contrib.auth.models import Group

from .enums import AgentRole

DEFAULT_ACTIONS = ("view", "add", "change", "delete")


class UnknownPermission(Exception):
    """A role names a model or a permission that does not exist (a typo, or a model removed)."""


READ = frozenset({"view"})

# Permissions of the services the admin's actions call; Django creates only its default four.
CUSTOM_PERMISSIONS: dict[str, dict[str, str]] = {
    "core.auditevent": {
        "view_holder_events": "Peut lire le journal d'audit des comptes de titulaires",
    },
    "holders.holder": {
        "correct_holder_identity": "Peut corriger l'identité d'un titulaire",
        "deactivate_holder_login": "Peut désactiver ou réactiver l'accès d'un titulaire",
    },
    "providers.provider": {
        "reference_provider": "Peut référencer un organisme ou refuser sa candidature",
        "suspend_provider": "Peut suspendre les paiements d'un organisme",
        "delist_provider": "Peut déréférencer un organisme",
    },
    "providers.bankdetails": {
        "verify_bankdetails": "Peut vérifier ou rejeter les coordonnées bancaires d'un organisme",
    },
    "providers.documentrenewal": {
        "check_documentrenewal": "Peut accepter ou refuser un document renouvelé d'un organisme",
    },
    "catalogue.training": {
        "publish_training": "Peut publier ou dépublier une formation",
        "suspend_training": "Peut suspendre une formation",
    },
    "catalogue.action": {"change_action_price": "Peut modifier le prix d'une action de formation"},
    "bookings.registration": {
        "cancel_registration_by_operator": "Peut annuler un dossier d'inscription au nom de l'opérateur",
        "control_service_done": "Peut ouvrir et clore un contrôle du service fait",
    },
    "invoicing.invoice": {
        "check_invoice": "Peut valider ou rejeter la facture d'un organisme",
    },
    "catalogue.session": {
        "change_session_status": "Peut modifier le statut ou les places d'une session",
    },
    "payouts.payoutrun": {"start_payoutrun": "Peut lancer une campagne de virements aux organismes"},
    "payouts.transfer": {"reject_transfer": "Peut déclarer un virement rejeté par la banque"},
}

CATALOGUE_READ = {
    "catalogue.training": READ,
    "catalogue.action": READ,
    "catalogue.session": READ,
    "catalogue.trainingtransition": READ,
}

# A registration file with its history and the card refunds decided for it. Read by those who
# answer holders (support), follow money (payments) or investigate (fraud); the quality role
# works on providers and offers, not on holders' files.
REGISTRATIONS_READ = {
    "bookings.registration": READ,
    "bookings.registrationtransition": READ,
    "bookings.cardrefunddue": READ,
}

SUPPORT = {
    "holders.holder": frozenset({"view", "deactivate_holder_login"}),
    # What happened to the account of the holder they answer (not the rest of the log).
    "core.auditevent": frozenset({"view_holder_events"}),
    "holders.termsversion": READ,
    "holders.termsacceptance": READ,
    "holders.apitoken": READ,
    **CATALOGUE_READ,
    **REGISTRATIONS_READ,
}

QUALITY = {
    # The provider's file (Qualiopi certificate, activity number, address) is completed here
    # while it is checked for referencing (rule 24); its status and bank details are not.
    "providers.provider": frozenset(
        {"view", "change", "reference_provider", "suspend_provider", "delist_provider"}
    ),
    "providers.providertransition": READ,
    "providers.providerdocument": READ,
    # A renewed Qualiopi certificate or Kbis, checked as the application's were.
    "providers.documentrenewal": frozenset({"view", "check_documentrenewal"}),
    "providers.providersanction": frozenset({"view", "add"}),
    "providers.qualiopiwarning": READ,
    **CATALOGUE_READ,
    "catalogue.training": frozenset({"view", "publish_training", "suspend_training"}),
    "catalogue.action": frozenset({"view", "change_action_price"}),
    "catalogue.session": frozenset({"view", "change_session_status"}),
    **{
        f"referentials.{name}": READ
        for name in (
            "region",
            "department",
            "commune",
            "postalcode",
            "jobdomain",
            "jobsubdomain",
            "job",
            "jobtitle",
            "nsfspecialty",
            "certification",
            "certificationjob",
            "skillblock",
            "recruitmentprojects",
            "bmoareacommune",
            "jobtension",
            "tensionareacommune",
            "referentialimport",
        )
    },
}

LEDGER_READ = {"ledger.account": READ, "ledger.transaction": READ, "ledger.entry": READ}


FRAUD = {
    "core.auditevent": READ,
    "providers.provider": frozenset({"view", "suspend_provider"}),
    "providers.providertransition": READ,
    "providers.bankdetails": READ,
    "providers.providerdocument": READ,
    "providers.documentrenewal": READ,
    "providers.providersanction": frozenset({"view", "add"}),
    **CATALOGUE_READ,
    "catalogue.training": frozenset({"view", "suspend_training"}),
    "holders.holder": READ,
    "holders.termsacceptance": READ,
    "holders.apitoken": READ,
    **LEDGER_READ,
    "rights.declarationimport": READ,
    "rights.declaration": READ,
    "rights.creditingrun": READ,
    "rights.funder": READ,
    "rights.grant": READ,
    **REGISTRATIONS_READ,
    "bookings.registration": frozenset({"view", "control_service_done"}),
    "bookings.servicedonecontrol": READ,
}

PAYMENTS = {
    **LEDGER_READ,
    **REGISTRATIONS_READ,
    "bookings.registration": frozenset({"view", "cancel_registration_by_operator", "control_service_done"}),
    "bookings.servicedonecontrol": READ,
    "invoicing.invoice": frozenset({"view", "check_invoice"}),
    "invoicing.invoicetransition": READ,
    "providers.provider": READ,
    "providers.providertransition": READ,
    "providers.bankdetails": frozenset({"view", "verify_bankdetails"}),
    # the bank statement (RIB) a change of bank details comes with
    "providers.providerdocument": READ,
    "rights.funder": READ,
    "rights.grant": READ,
    "rights.creditingrun": READ,
    # Payment runs (rules 20, 23): start one, read the dashboard and the files, record a
    # transfer the bank returned.
    "payouts.payoutrun": frozenset({"view", "start_payoutrun"}),
    "payouts.transfer": frozenset({"view", "reject_transfer"}),
    "payouts.payoutitem": READ,
}

# The administrator gets every permission of these applications' models...
ADMINISTERED_APPS = (
    "core",
    "referentials",
    "providers",
    "catalogue",
    "holders",
    "ledger",
    "rights",
    "bookings",
    "payouts",
    "invoicing",
    "procrastinate",
    "dsfr",
)
# ... and, for the logins and groups, what managing agents needs: logins are deactivated, never
# deleted; groups are this module, synchronised, never edited by hand.
ADMINISTRATOR_ACCOUNTS = {
    "accounts.user": frozenset({"view", "add", "change"}),
    "accounts.providermembership": frozenset({"view", "add", "change"}),
    "accounts.fundermembership": frozenset({"view", "add", "change"}),
    "auth.group": READ,
}


def declared_roles() -> dict[AgentRole, dict[str, frozenset[str]]]:
    """Every role and its permissions, by model (read when the application registry is ready:
    the administrator's list follows the models that exist)."""
    return {
        AgentRole.SUPPORT: SUPPORT,
        AgentRole.QUALITY: QUALITY,
        AgentRole.FRAUD: FRAUD,
        AgentRole.PAYMENTS: PAYMENTS,
        AgentRole.ADMINISTRATOR: _administrator(),
    }


def _administrator() -> dict[str, frozenset[str]]:
    granted: dict[str, frozenset[str]] = {}
    for label in ADMINISTERED_APPS:
        for model in apps.get_app_config(label).get_models():
            opts = model._meta
            custom = CUSTOM_PERMISSIONS.get(opts.label_lower, {})
            granted[opts.label_lower] = frozenset(opts.default_permissions) | frozenset(custom)
    return {**granted, **ADMINISTRATOR_ACCOUNTS}


def permission_codenames(model_label: str, actions: Iterable[str]) -> set[str]:
    """The codenames of ``actions`` on a model: ``view`` of ``holders.holder`` is
    ``view_holder``; a custom codename stays as it is (it must be declared)."""
    model_name = model_label.split(".")[1]
    custom = CUSTOM_PERMISSIONS.get(model_label, {})
    codenames = set()
    for action in actions:
        if action in DEFAULT_ACTIONS:
            codenames.add(f"{action}_{model_name}")
        elif action in custom:
            codenames.add(action)
        else:
            raise UnknownPermission(f"{model_label}: unknown permission {action!r}")
    return codenames


def role_group(role: AgentRole) -> Group:
    """The group of a role (created by ``sync_agent_roles``)."""
    return Group.objects.get(name=role.value)


def roles_of(user) -> list[AgentRole]:
    """The roles an agent holds, in the order of ``AgentRole``."""
    names = set(user.groups.values_list("name", flat=True))
    return [role for role in AgentRole if role.value in names]


def full_permission_names(permissions: Mapping[str, frozenset[str]]) -> set[str]:
    """``{"app_label.codename"}`` for a role's permissions, as ``User.has_perm`` names them."""
    return {
        f"{label.split('.')[0]}.{codename}"
        for label, actions in permissions.items()
        for codename in permission_codenames(label, actions)
    }
