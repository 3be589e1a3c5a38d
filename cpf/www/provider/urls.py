"""The providers' space: the provider's identity and referencing status, its members, its
registration files and its API keys (mounted at /organisme/)."""

from django.urls import path

from . import api_keys, invoices, payouts, registrations, views, webhooks

app_name = "provider"

urlpatterns = [
    path("", views.home, name="home"),
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
    path("<int:provider_id>/releve/", invoices.statement, name="statement"),
    path("<int:provider_id>/webhook/", webhooks.webhook, name="webhook"),
    path("<int:provider_id>/webhook/secret/", webhooks.webhook_secret, name="webhook_secret"),
    path("<int:provider_id>/virements/", payouts.payouts, name="payouts"),
    path("<int:provider_id>/cles-api/", api_keys.api_keys, name="api_keys"),
    path("<int:provider_id>/cles-api/<int:key_id>/revoquer/", api_keys.revoke, name="api_key_revoke"),
]
