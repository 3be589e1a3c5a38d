"""Providers' API keys: created and revoked by an administrator of the provider, stored hashed."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0008_status_values_checked'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ProviderApiKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='nom')),
                ('prefix', models.CharField(editable=False, max_length=20, unique=True, verbose_name='début de la clé')),
                ('key_hash', models.CharField(editable=False, max_length=64, unique=True, verbose_name='empreinte de la clé')),
                ('created_at', models.DateTimeField(verbose_name='créée le')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='révoquée le')),
                ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='dernière utilisation')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='créée par')),
                ('provider', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='api_keys', to='providers.provider', verbose_name='organisme')),
                ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='révoquée par')),
            ],
            options={
                'verbose_name': "clé d'API d'organisme",
                'verbose_name_plural': "clés d'API d'organismes",
                'ordering': ['provider', '-created_at', '-id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('prefix__regex', '^cfk_live_[0-9a-f]{8}$')), name='provider_api_key_prefix_format'), models.CheckConstraint(condition=models.Q(models.Q(('revoked_at__isnull', True), ('revoked_by__isnull', True)), ('revoked_at__isnull', False), _connector='OR'), name='provider_api_key_revoker_only_when_revoked'), models.CheckConstraint(condition=models.Q(('revoked_at__isnull', True), ('revoked_at__gte', models.F('created_at')), _connector='OR'), name='provider_api_key_revoked_after_creation'), models.CheckConstraint(condition=models.Q(('name', ''), _negated=True), name='provider_api_key_named')],
            },
        ),
    ]
