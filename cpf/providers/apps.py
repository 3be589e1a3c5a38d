from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "cpf.providers"
    label = "providers"
    verbose_name = "Organismes de formation"
