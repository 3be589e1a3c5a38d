"""The eligible actions outside the registries, one referential row each (cpf.referentials.eligible)."""

from django.db import migrations

LEGAL_BASIS = "Code du travail, art. L6323-6"
ROWS = (
    ("PERMIS-B", "PERMIS", "Permis de conduire catégorie B (voiture)", "Permis de conduire"),
    ("PERMIS-A2", "PERMIS", "Permis de conduire catégorie A2 (moto de puissance limitée)", "Permis de conduire"),
    ("PERMIS-A", "PERMIS", "Permis de conduire catégorie A (moto)", "Permis de conduire"),
    ("PERMIS-C", "PERMIS", "Permis de conduire catégorie C (poids lourd)", "Permis de conduire"),
    ("PERMIS-CE", "PERMIS", "Permis de conduire catégorie CE (poids lourd avec remorque)", "Permis de conduire"),
    ("PERMIS-D", "PERMIS", "Permis de conduire catégorie D (autocar et autobus)", "Permis de conduire"),
    ("BILAN", "BILAN", "Bilan de compétences", "Bilan de compétences"),
    ("VAE", "VAE", "Accompagnement à la validation des acquis de l'expérience (VAE)", "Accompagnement VAE"),
    ("CREA", "CREA", "Accompagnement à la création ou à la reprise d'entreprise", "Création ou reprise d'entreprise"),
)


def add_eligible_actions(apps, schema_editor):
    Certification = apps.get_model("referentials", "Certification")
    for code, kind, title, type_label in ROWS:
        Certification.objects.update_or_create(
            code=code,
            defaults={
                "kind": kind,
                "title": title,
                "type_label": type_label,
                "registration_kind": LEGAL_BASIS,
                "is_active": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("referentials", "0006_certification_kinds_of_eligible_actions")]

    operations = [migrations.RunPython(add_eligible_actions, migrations.RunPython.noop)]
