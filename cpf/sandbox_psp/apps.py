from django.apps import AppConfig


class SandboxPspConfig(AppConfig):
    name = "cpf.sandbox_psp"
    label = "sandbox_psp"
    verbose_name = "Prestataire de paiement de test"
