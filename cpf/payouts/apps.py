from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "cpf.payouts"
    label = "payouts"
    verbose_name = "Virements aux organismes"
