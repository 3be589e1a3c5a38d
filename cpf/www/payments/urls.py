"""Card payments (mounted at /paiements/): the provider's webhooks and the holder's return from
the hosted payment page."""

from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("webhooks/<slug:provider_name>/", views.webhook, name="webhook"),
    path("retour/<int:registration_id>/", views.payment_return, name="return"),
]
