from django.db import migrations


class Migration(migrations.Migration):
    """The provider's IBAN and BIC now live in its bank details' history (``BankDetails``)."""

    dependencies = [("providers", "0004_bank_details_from_provider_iban")]

    operations = [
        migrations.RemoveField(model_name="provider", name="bic"),
        migrations.RemoveField(model_name="provider", name="iban"),
    ]
