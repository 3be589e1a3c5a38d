from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "cpf.payments"
    label = "payments"
    verbose_name = "Paiements par carte"
