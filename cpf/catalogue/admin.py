"""Admin of the offers. Edits and deletions made here reach the search index like any other
write: PostgreSQL records them in the change feed (docs/adr/0006)."""

from django.contrib import admin

from cpf.core.admin_actions import ReadOnlyAdmin, service_action

from . import services
from .models import Action, Session, Training, TrainingTransition


class ActionInline(admin.StackedInline):
    model = Action
    extra = 0
    raw_id_fields = ["commune"]
    show_change_link = True


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = ["start_date", "end_date", "seats", "status"]


class TrainingTransitionInline(admin.TabularInline):
    model = TrainingTransition
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Training)
class TrainingAdmin(admin.ModelAdmin):
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
        ),
        service_action(
            description="Dépublier",
            service=services.unpublish_training,
            object_arg="training",
            success="formation(s) dépubliée(s).",
        ),
        service_action(
            description="Suspendre (contrôle qualité)",
            service=services.suspend_training,
            object_arg="training",
            success="formation(s) suspendue(s).",
        ),
    ]


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["training", "modality", "commune", "price_cents", "duration_hours"]
    list_filter = ["modality"]
    search_fields = ["training__title"]
    raw_id_fields = ["training", "commune"]
    list_select_related = ["training", "commune"]
    show_full_result_count = False
    inlines = [SessionInline]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["action", "start_date", "end_date", "seats", "status"]
    list_filter = ["status"]
    raw_id_fields = ["action"]
    list_select_related = ["action__training"]
    show_full_result_count = False


@admin.register(TrainingTransition)
class TrainingTransitionAdmin(ReadOnlyAdmin):
    """The log of publication changes: browsable, never editable."""

    list_display = ["at", "training", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status"]
    raw_id_fields = ["training"]
    list_select_related = ["training", "actor"]
    show_full_result_count = False
