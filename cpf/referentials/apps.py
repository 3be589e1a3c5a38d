from django.apps import AppConfig


class ReferentialsConfig(AppConfig):
    name = "cpf.referentials"
    label = "referentials"
    verbose_name = "Référentiels nationaux"
