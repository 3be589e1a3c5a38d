from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "cpf.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks des organismes"
