"""Admin of the offers. Edits and deletions made here reach the search index like any other
write: PostgreSQL records them in the change feed (docs/adr/0006)."""

from django import forms
from django.contrib import admin

from cpf.core.admin_actions import (
    AuditTrailMixin,
    ReadOnlyAdmin,
    ReasonForm,
    ServiceActionsAdmin,
    service_action,
)
from cpf.core.money import InvalidAmount, format_euros, parse_euros

from . import pricing, services
from .enums import SessionStatus
from .models import (
    Action,
    BusinessCreationDetails,
    CatalogueImport,
    LicenceDetails,
    Session,
    SkillsReviewDetails,
    Training,
    TrainingTransition,
    VaeSupportDetails,
)

# Changed only through cpf/catalogue/pricing.py (audited), never in the forms below.
PRICE_FIELDS = ["price_cents", "exam_cost_cents"]
SESSION_FIELDS = ["status", "seats"]


class EurosField(forms.CharField):
    """An amount typed in euros ("4 500,00"), cleaned to integer cents."""

    def clean(self, value):
        text = super().clean(value)
        try:
            return parse_euros(text)
        except InvalidAmount as exc:
            raise forms.ValidationError(str(exc)) from exc


class PriceForm(ReasonForm):
    price_cents = EurosField(label="Nouveau prix TTC (€)")
    exam_cost_cents = EurosField(label="Nouveau coût de l'examen (€)", initial="0")


class SessionStatusForm(ReasonForm):
    status = forms.ChoiceField(label="Statut", choices=SessionStatus.choices)
    seats = forms.IntegerField(label="Places", min_value=1)


class ActionInline(admin.StackedInline):
    """Actions are added from their own page, where the price is set once; it then changes only
    through the "Modifier le prix" action."""

    model = Action
    extra = 0
    raw_id_fields = ["commune"]
    readonly_fields = PRICE_FIELDS
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class SessionInline(admin.TabularInline):
    """Sessions are added from their own page; their status and seats change only through the
    "Modifier le statut ou les places" action."""

    model = Session
    extra = 0
    fields = ["start_date", "end_date", "seats", "status"]
    readonly_fields = SESSION_FIELDS
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class DetailsInline(admin.StackedInline):
    """The kind-specific details of an action of an eligible kind (cpf/catalogue/details.py)."""

    extra = 0
    max_num = 1
    can_delete = False


class LicenceDetailsInline(DetailsInline):
    model = LicenceDetails


class SkillsReviewDetailsInline(DetailsInline):
    model = SkillsReviewDetails


class VaeSupportDetailsInline(DetailsInline):
    model = VaeSupportDetails
    raw_id_fields = ["targeted_certification"]


class BusinessCreationDetailsInline(DetailsInline):
    model = BusinessCreationDetails


class TrainingTransitionInline(admin.TabularInline):
    model = TrainingTransition
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Training)
class TrainingAdmin(ServiceActionsAdmin):
    list_display = ["title", "provider", "certification", "status", "published_at"]
    list_filter = ["status"]
    search_fields = ["title", "reference", "certification__code", "provider__siret"]
    raw_id_fields = ["provider", "certification"]
    readonly_fields = ["status", "published_at", "created_at", "updated_at"]
    list_select_related = ["provider", "certification"]
    show_full_result_count = False
    inlines = [ActionInline, TrainingTransitionInline]

    actions = [
        service_action(
            description="Publier les formations sélectionnées",
            service=services.publish_training,
            object_arg="training",
            form_class=None,
            success="formation(s) publiée(s).",
            permission="catalogue.publish_training",
        ),
        service_action(
            description="Dépublier",
            service=services.unpublish_training,
            object_arg="training",
            success="formation(s) dépubliée(s).",
            permission="catalogue.publish_training",
        ),
        service_action(
            description="Suspendre (contrôle qualité)",
            service=services.suspend_training,
            object_arg="training",
            success="formation(s) suspendue(s).",
            permission="catalogue.suspend_training",
        ),
    ]


@admin.register(Action)
class ActionAdmin(AuditTrailMixin, ServiceActionsAdmin):
    list_display = ["training", "modality", "commune", "price_cents", "duration_hours"]
    list_filter = ["modality"]
    search_fields = ["training__title"]
    raw_id_fields = ["training", "commune"]
    list_select_related = ["training", "commune"]
    show_full_result_count = False
    inlines = [
        SessionInline,
        LicenceDetailsInline,
        SkillsReviewDetailsInline,
        VaeSupportDetailsInline,
        BusinessCreationDetailsInline,
    ]
    actions = [
        service_action(
            description="Modifier le prix",
            service=pricing.change_action_price,
            object_arg="action",
            form_class=PriceForm,
            success="prix modifié(s).",
            one_at_a_time=True,
            initial=lambda action: {
                "price_cents": format_euros(action.price_cents),
                "exam_cost_cents": format_euros(action.exam_cost_cents),
            },
            permission="catalogue.change_action_price",
        )
    ]

    def get_readonly_fields(self, request, obj=None):
        # The price is set when the action is added; later changes go through the action above.
        return [*PRICE_FIELDS, "audit_trail"] if obj is not None else []


@admin.register(Session)
class SessionAdmin(AuditTrailMixin, ServiceActionsAdmin):
    list_display = ["action", "start_date", "end_date", "seats", "status"]
    list_filter = ["status"]
    raw_id_fields = ["action"]
    list_select_related = ["action__training"]
    show_full_result_count = False
    actions = [
        service_action(
            description="Modifier le statut ou les places",
            service=pricing.change_session_status,
            object_arg="session",
            form_class=SessionStatusForm,
            success="session(s) modifiée(s).",
            one_at_a_time=True,
            initial=lambda session: {"status": session.status, "seats": session.seats},
            permission="catalogue.change_session_status",
        )
    ]

    def get_readonly_fields(self, request, obj=None):
        # Set when the session is added; later changes go through the action above.
        return [*SESSION_FIELDS, "audit_trail"] if obj is not None else []


@admin.register(TrainingTransition)
class TrainingTransitionAdmin(ReadOnlyAdmin):
    """The log of publication changes: browsable, never editable."""

    list_display = ["at", "training", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status"]
    raw_id_fields = ["training"]
    list_select_related = ["training", "actor"]
    show_full_result_count = False


@admin.register(CatalogueImport)
class CatalogueImportAdmin(ReadOnlyAdmin):
    """The catalogue files providers sent (rule 25): their state, counts and refused lines."""

    list_display = ["provider", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["provider__legal_name", "=provider__siret"]
    list_select_related = ["provider"]
