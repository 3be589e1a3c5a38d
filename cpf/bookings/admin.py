"""Back-office of the registration files: agents read them (state, money, history) and find them
by file number, holder or provider; nothing is edited by hand. A file changes only through its
services: here the one action "Annuler le dossier (opérateur)", with a reason, which re-credits
and refunds everything (rule 13) and is logged with the agent and the reason
(``services.cancel_by_operator``). Who may read and who may cancel: ``cpf/accounts/roles.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from cpf.core.admin_actions import AuditTrailMixin, ReadOnlyAdmin, ServiceActionsAdmin, service_action
from cpf.core.money import format_euros
from cpf.holders.nir import InvalidNir, parse_nir

from . import services
from .enums import ControlOutcome
from .models import CardRefundDue, Registration, RegistrationTransition, ServiceDoneControl

if TYPE_CHECKING:
    TransitionInline = admin.TabularInline[RegistrationTransition, Registration]
    RefundInline = admin.TabularInline[CardRefundDue, Registration]
    ControlInline = admin.TabularInline[ServiceDoneControl, Registration]
else:
    TransitionInline = RefundInline = ControlInline = admin.TabularInline

CANCEL_PERMISSION = "bookings.cancel_registration_by_operator"
CONTROL_PERMISSION = "bookings.control_service_done"


class CloseControlForm(forms.Form):
    """How an agent closes a control of the service done (rule 21)."""

    outcome = forms.ChoiceField(label="Issue du contrôle", choices=ControlOutcome.choices)
    reason = forms.CharField(
        label="Motif (obligatoire pour demander une correction)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# A file number has at most this many digits; a longer number is a provider's SIRET (14).
FILE_NUMBER_MAX_DIGITS = 12

MONEY_FIELDS = {
    "price_cents": "prix TTC",
    "exam_cost_cents": "coût de l'examen",
    "reserved_cents": "droits réservés",
    "card_held_cents": "paiement par carte détenu",
    "provider_due_cents": "dû à l'organisme",
    "advance_due_cents": "avance due à l'organisme",
}


FIELD_GROUPS: list[tuple[str | None, list[str]]] = [
    (
        None,
        [
            "id",
            "holder",
            "training",
            "provider",
            "session",
            "status",
            "deadline_at",
            "audit_trail",
        ],
    ),
    (
        "L'offre demandée (ou proposée par l'organisme)",
        [
            "price",
            "exam_cost",
            "duration_hours",
            "start_date",
            "end_date",
            "modality",
            "proposal_changed",
            "prerequisites_to_check",
        ],
    ),
    (
        "L'argent du dossier",
        [
            "payment_state",
            "payment_attempt",
            "split",
            "flat_participation_exemption",
            "reserved",
            "card_held",
            "provider_due",
            "advance_due",
        ],
    ),
    (
        "Réalisation",
        [
            "entry_date",
            "exit_date",
            "exit_reason",
            "hours_done",
            "completion_rate",
            "force_majeure",
            "control_state",
            "validation_due_at",
            "correctable_until",
            "refusal_reason_code",
            "cancellation_reason_code",
        ],
    ),
    (
        "Dates des états",
        [
            "sent_at",
            "validated_at",
            "accepted_at",
            "in_training_at",
            "terminated_at",
            "service_done_declared_at",
            "service_done_validated_at",
            "refused_at",
            "lapsed_at",
            "canceled_at",
        ],
    ),
]


def _euros_field(name: str, label: str) -> Callable[[Any, Registration], str]:
    def shown(_admin: Any, registration: Registration) -> str:
        return format_euros(getattr(registration, name))

    shown.__name__ = name.removesuffix("_cents")
    return admin.display(description=label, ordering=name)(shown)


class RegistrationTransitionInline(TransitionInline):
    """The file's history: every state change with its actor and reason."""

    model = RegistrationTransition
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    ordering = ("at", "id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceDoneControlInline(ControlInline):
    """The agents' controls of the service done (rule 21), opened and closed by the actions."""

    model = ServiceDoneControl
    extra = 0
    can_delete = False
    fields = ("opened_at", "opened_by", "reason", "closed_at", "closed_by", "outcome", "closing_reason")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CardRefundDueInline(RefundInline):
    """Card refunds decided for the file, and when the worker sent them."""

    model = CardRefundDue
    extra = 0
    can_delete = False
    fields = ("created_at", "amount", "reason", "done_at")
    readonly_fields = fields

    @admin.display(description="montant")
    def amount(self, refund: CardRefundDue) -> str:
        return format_euros(refund.amount_cents)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Registration)
class RegistrationAdmin(AuditTrailMixin, ServiceActionsAdmin, ReadOnlyAdmin):
    list_display = [
        "id",
        "holder",
        "training",
        "provider",
        "status",
        "payment_state",
        "price",
        "sent_at",
        "deadline_at",
    ]
    list_display_links = ["id", "holder"]
    list_filter = ["status", "payment_state", "control_state"]
    list_select_related = ["holder", "action__training__provider"]
    search_fields = [
        "holder__birth_name",
        "holder__first_names",
        "holder__user__email",
        "action__training__provider__legal_name",
        "action__training__title",
    ]
    search_help_text = (
        "Numéro de dossier, NIR complet du titulaire (15 caractères), SIRET de l'organisme, ou un nom, "
        "une adresse e-mail, un intitulé de formation."
    )
    date_hierarchy = "sent_at"
    show_full_result_count = False
    fieldsets = [(title, {"fields": tuple(names)}) for title, names in FIELD_GROUPS]
    inlines = [RegistrationTransitionInline, ServiceDoneControlInline, CardRefundDueInline]
    actions = [
        service_action(
            description="Annuler le dossier (opérateur)",
            service=services.cancel_by_operator,
            object_arg="registration",
            success="dossier(s) annulé(s) par l'opérateur : droits recrédités et paiements remboursés.",
            permission=CANCEL_PERMISSION,
        ),
        service_action(
            description="Ouvrir un contrôle du service fait",
            service=services.open_service_done_control,
            object_arg="registration",
            success="contrôle(s) ouvert(s) : la validation automatique du service fait attend sa clôture.",
            permission=CONTROL_PERMISSION,
        ),
        service_action(
            description="Clore le contrôle du service fait",
            service=services.close_service_done_control,
            object_arg="registration",
            form_class=CloseControlForm,
            success="contrôle(s) clos.",
            permission=CONTROL_PERMISSION,
        ),
    ]

    price = _euros_field("price_cents", MONEY_FIELDS["price_cents"])
    exam_cost = _euros_field("exam_cost_cents", MONEY_FIELDS["exam_cost_cents"])
    reserved = _euros_field("reserved_cents", MONEY_FIELDS["reserved_cents"])
    card_held = _euros_field("card_held_cents", MONEY_FIELDS["card_held_cents"])
    provider_due = _euros_field("provider_due_cents", MONEY_FIELDS["provider_due_cents"])
    advance_due = _euros_field("advance_due_cents", MONEY_FIELDS["advance_due_cents"])

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for _, names in FIELD_GROUPS for name in names]

    @admin.display(description="formation", ordering="action__training__title")
    def training(self, registration: Registration) -> Any:
        return registration.action.training

    @admin.display(description="organisme", ordering="action__training__provider__legal_name")
    def provider(self, registration: Registration) -> Any:
        return registration.action.training.provider

    def get_queryset(self, request: HttpRequest) -> QuerySet[Registration]:
        return (
            super()
            .get_queryset(request)
            .select_related("holder__user", "session", "action__training__provider")
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Registration], search_term: str
    ) -> tuple[QuerySet[Registration], bool]:
        """A full NIR is looked up through its keyed hash (no clear NIR is stored); a short number
        is a file number, a longer one a provider's SIRET; anything else searches the names."""
        term = search_term.strip()
        try:
            nir = parse_nir(term)
        except InvalidNir:
            pass
        else:
            return queryset.filter(holder__nir_hash=nir.lookup_hash), False
        if term.isdigit():
            if len(term) <= FILE_NUMBER_MAX_DIGITS:
                return queryset.filter(Q(pk=int(term)) | Q(action__training__provider__siret=term)), False
            return queryset.filter(action__training__provider__siret=term), False
        return super().get_search_results(request, queryset, search_term)
