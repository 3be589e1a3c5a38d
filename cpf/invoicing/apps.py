from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "cpf.invoicing"
    label = "invoicing"
    verbose_name = "Factures des organismes"
