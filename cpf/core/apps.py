from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cpf.core"
    label = "core"
    verbose_name = "Socle"
