
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='BankDetails',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('iban', models.CharField(max_length=34, verbose_name='IBAN')),
                ('bic', models.CharField(blank=True, max_length=11, verbose_name='BIC')),
                ('account_holder_name', models.CharField(max_length=200, verbose_name='titulaire du compte')),
                ('status', models.CharField(choices=[('submitted', 'en attente de vérification'), ('verified', 'vérifiées'), ('rejected', 'rejetées')], default='submitted', max_length=20, verbose_name='état')),
                ('submitted_at', models.DateTimeField(verbose_name='saisies le')),
                ('verified_at', models.DateTimeField(blank=True, null=True, verbose_name='vérifiées le')),
                ('effective_from', models.DateTimeField(blank=True, null=True, verbose_name='utilisables pour les paiements à partir du')),
                ('rejected_at', models.DateTimeField(blank=True, null=True, verbose_name='rejetées le')),
                ('rejection_reason', models.TextField(blank=True, verbose_name='motif du rejet')),
                ('provider', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='bank_details', to='providers.provider', verbose_name='organisme')),
                ('rejected_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='rejetées par')),
                ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='saisies par')),
                ('verified_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='vérifiées par')),
            ],
            options={
                'verbose_name': 'coordonnées bancaires',
                'verbose_name_plural': 'coordonnées bancaires',
                'ordering': ['provider', '-submitted_at', '-id'],
                'indexes': [models.Index(condition=models.Q(('status', 'verified')), fields=['provider', '-effective_from'], name='bank_details_verified_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['submitted', 'verified', 'rejected'])), name='bank_details_status_known'), models.CheckConstraint(condition=models.Q(('iban__regex', '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$')), name='bank_details_iban_compact'), models.CheckConstraint(condition=models.Q(('bic', ''), ('bic__regex', '^[A-Z0-9]{8}([A-Z0-9]{3})?$'), _connector='OR'), name='bank_details_bic_format'), models.CheckConstraint(condition=models.Q(models.Q(('effective_from__isnull', True), ('rejected_at__isnull', True), ('rejected_by__isnull', True), ('rejection_reason', ''), ('status', 'submitted'), ('verified_at__isnull', True), ('verified_by__isnull', True)), models.Q(('effective_from__isnull', False), ('rejected_at__isnull', True), ('rejected_by__isnull', True), ('rejection_reason', ''), ('status', 'verified'), ('verified_at__isnull', False)), models.Q(('effective_from__isnull', True), ('rejected_at__isnull', False), ('status', 'rejected'), ('verified_at__isnull', True), ('verified_by__isnull', True), models.Q(('rejection_reason', ''), _negated=True)), _connector='OR'), name='bank_details_status_dated'), models.CheckConstraint(condition=models.Q(('verified_at__isnull', True), models.Q(('effective_from__gte', models.F('verified_at')), ('verified_at__gte', models.F('submitted_at'))), _connector='OR'), name='bank_details_dates_ordered'), models.CheckConstraint(condition=models.Q(('rejected_at__isnull', True), ('rejected_at__gte', models.F('submitted_at')), _connector='OR'), name='bank_details_rejected_after_submission'), models.CheckConstraint(condition=models.Q(('verified_by__isnull', True), ('submitted_by__isnull', True), models.Q(('verified_by', models.F('submitted_by')), _negated=True), _connector='OR'), name='bank_details_verified_by_another_person'), models.UniqueConstraint(condition=models.Q(('status', 'submitted')), fields=('provider',), name='bank_details_one_pending_per_provider')],
            },
        ),
    ]
