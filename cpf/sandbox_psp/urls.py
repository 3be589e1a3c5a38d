from django.urls import path

from . import api, pages

app_name = "sandbox_psp"

urlpatterns = [
    path("v1/payment_intents", api.payment_intents, name="payment_intents"),
    path("v1/payment_intents/<str:intent_id>", api.payment_intent, name="payment_intent"),
    path("v1/payment_intents/<str:intent_id>/confirm", api.confirm, name="confirm"),
    path("v1/payment_intents/<str:intent_id>/cancel", api.cancel, name="cancel"),
    path("v1/refunds", api.refunds, name="refunds"),
    path("pay/<str:intent_id>/", pages.pay, name="pay"),
    path("pay/<str:intent_id>/3ds/", pages.challenge, name="challenge"),
]
