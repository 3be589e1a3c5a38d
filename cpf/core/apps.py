from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cpf.core"
    label = "core"
    verbose_name = "Socle"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
