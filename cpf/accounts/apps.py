from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cpf.accounts"
    label = "accounts"
    verbose_name = "Comptes et accès"
