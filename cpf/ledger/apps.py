from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "cpf.ledger"
    label = "ledger"
    verbose_name = "Grand livre des droits"
