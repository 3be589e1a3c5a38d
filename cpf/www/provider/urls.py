"""The providers' space (mounted at /organisme/): the creation of a provider space (its
application), the provider's identity and referencing status, its members, its documents and
bank details, its offers, its registration files and its API keys."""

from django.urls import path

from . import api_keys, documents, invoices, offers, onboarding, payouts, registrations, views, webhooks

app_name = "provider"

urlpatterns = [
    path("", views.home, name="home"),
    path("inscription/", onboarding.sign_up, name="sign_up"),
    path("inscription/confirmation/", onboarding.sign_up_confirm, name="sign_up_confirm"),
    path("inscription/envoyee/", onboarding.sign_up_done, name="sign_up_done"),
    path("<int:provider_id>/documents/", documents.documents, name="documents"),
    path("<int:provider_id>/documents/<int:document_id>/", documents.document, name="document"),
    path(
        "<int:provider_id>/documents/renouveler/<slug:kind>/",
        documents.document_renewal,
        name="document_renewal",
    ),
    path("<int:provider_id>/coordonnees-bancaires/", documents.bank_details, name="bank_details"),
    path("<int:provider_id>/", views.provider_page, name="provider"),
    path("<int:provider_id>/membres/", views.members, name="members"),
    path(
        "<int:provider_id>/membres/<int:membership_id>/<slug:action>/",
        views.member_action,
        name="member_action",
    ),
    path(
        "<int:provider_id>/invitations/<int:invitation_id>/annuler/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("<int:provider_id>/dossiers/", registrations.registrations, name="registrations"),
    path("<int:provider_id>/dossiers/export.csv", registrations.registrations_csv, name="registrations_csv"),
    path(
        "<int:provider_id>/dossiers/<int:registration_id>/",
        registrations.registration,
        name="registration",
    ),
    path(
        "<int:provider_id>/dossiers/<int:registration_id>/facture/",
        invoices.invoice,
        name="registration_invoice",
    ),
    path(
        "<int:provider_id>/dossiers/<int:registration_id>/<slug:action>/",
        registrations.registration_action,
        name="registration_action",
    ),
    path("<int:provider_id>/offres/", offers.offer_list, name="offers"),
    path("<int:provider_id>/offres/nouvelle/", offers.offer_new, name="offer_new"),
    path("<int:provider_id>/offres/import/", offers.offer_import, name="offer_import"),
    path(
        "<int:provider_id>/offres/import/<int:import_id>/",
        offers.offer_import_status,
        name="offer_import_status",
    ),
    path("<int:provider_id>/offres/export.csv", offers.offer_export, name="offer_export"),
    path("<int:provider_id>/offres/export.xml", offers.offer_export_lheo, name="offer_export_lheo"),
    path("<int:provider_id>/offres/<int:training_id>/", offers.offer, name="offer"),
    path("<int:provider_id>/offres/<int:training_id>/modifier/", offers.offer_edit, name="offer_edit"),
    path("<int:provider_id>/offres/<int:training_id>/apercu/", offers.offer_preview, name="offer_preview"),
    path(
        "<int:provider_id>/offres/<int:training_id>/statut/<slug:action>/",
        offers.offer_publication,
        name="offer_publication",
    ),
    path(
        "<int:provider_id>/offres/<int:training_id>/actions/nouvelle/", offers.action_new, name="action_new"
    ),
    path(
        "<int:provider_id>/offres/<int:training_id>/actions/<int:action_id>/modifier/",
        offers.action_edit,
        name="action_edit",
    ),
    path(
        "<int:provider_id>/offres/<int:training_id>/actions/<int:action_id>/sessions/nouvelle/",
        offers.session_new,
        name="session_new",
    ),
    path(
        "<int:provider_id>/offres/<int:training_id>/sessions/<int:session_id>/modifier/",
        offers.session_edit,
        name="session_edit",
    ),
    path("<int:provider_id>/releve/", invoices.statement, name="statement"),
    path("<int:provider_id>/webhook/", webhooks.webhook, name="webhook"),
    path("<int:provider_id>/webhook/secret/", webhooks.webhook_secret, name="webhook_secret"),
    path("<int:provider_id>/virements/", payouts.payouts, name="payouts"),
    path("<int:provider_id>/cles-api/", api_keys.api_keys, name="api_keys"),
    path("<int:provider_id>/cles-api/<int:key_id>/revoquer/", api_keys.revoke, name="api_key_revoke"),
]
