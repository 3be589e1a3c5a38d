"""The holder's account: sign-up, login, rights, registration files (mounted at /compte/)."""

from django.urls import path

from . import registrations, views

app_name = "holder"

urlpatterns = [
    path("", views.account, name="account"),
    path("inscription/", views.sign_up, name="sign_up"),
    path("inscription/envoyee/", views.sign_up_done, name="sign_up_done"),
    path("activation/<uidb64>/<token>/", views.activate, name="activate"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/oublie/", views.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/oublie/envoye/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("mot-de-passe/modifie/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("conditions-utilisation/", views.terms, name="terms"),
    path("droits/", views.rights, name="rights"),
    path("dossiers/", registrations.registrations, name="registrations"),
    path(
        "dossiers/demande/<int:session_id>/",
        registrations.request_registration,
        name="request_registration",
    ),
    path("dossiers/<int:registration_id>/", registrations.registration, name="registration"),
    path(
        "dossiers/<int:registration_id>/refuser/",
        registrations.refuse_proposal,
        name="refuse_proposal",
    ),
    path(
        "dossiers/<int:registration_id>/accepter/",
        registrations.accept_proposal,
        name="accept_proposal",
    ),
    path(
        "dossiers/<int:registration_id>/code/",
        registrations.send_purchase_code,
        name="send_purchase_code",
    ),
    path(
        "dossiers/<int:registration_id>/retirer/",
        registrations.withdraw_request,
        name="withdraw_request",
    ),
    path(
        "dossiers/<int:registration_id>/annuler/",
        registrations.cancel_registration,
        name="cancel_registration",
    ),
]
