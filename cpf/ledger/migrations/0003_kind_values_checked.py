"""The kinds of accounts and transactions are one of the known values, whatever writes them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_ledger_triggers"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="account",
            constraint=models.CheckConstraint(condition=models.Q(("kind__in", ['holder_rights', 'holder_grant', 'cpf_fund', 'funder', 'card_clearing', 'provider_payable', 'operator_bank'])), name="ledger_account_kind_known"),
        ),
        migrations.AddConstraint(
            model_name="transaction",
            constraint=models.CheckConstraint(condition=models.Q(("kind__in", ['yearly_credit', 'credit_correction', 'grant', 'corrective_grant'])), name="ledger_transaction_kind_known"),
        ),
    ]
