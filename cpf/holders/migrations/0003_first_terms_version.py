"""The first version of the terms of use (rule 27): sign-up needs a version in force.
Idempotent: an existing version "1.0" is left as it is."""

import datetime

from django.db import migrations

TEXT = """Conditions générales d'utilisation de Compte Formation — version 1.0

1. Objet. Compte Formation permet à chaque titulaire d'un compte personnel de formation (CPF) de consulter ses droits à la formation, exprimés en euros, de rechercher une formation certifiante et de la financer avec ces droits.

2. Accès. L'accès au service se fait avec votre numéro de sécurité sociale et un mot de passe personnel. Vous confirmez votre adresse e-mail avant toute réservation. Vous êtes responsable de la confidentialité de votre mot de passe ; ne le communiquez jamais, y compris à un organisme de formation ou à une personne qui vous démarche.

3. Vos droits. Vos droits sont alimentés chaque année à partir des déclarations de vos employeurs, dans la limite d'un plafond, et peuvent être complétés par des abondements d'employeurs ou de financeurs. Ils sont consultables à tout moment dans votre espace.

4. Achat d'une formation. L'achat d'une formation demande une confirmation renforcée de votre identité (code à usage unique). Une participation forfaitaire peut rester à votre charge dans les cas prévus par la loi.

5. Données personnelles. Votre numéro de sécurité sociale est conservé chiffré et n'est jamais affiché en entier. Vos données servent uniquement à la gestion de votre compte ; vous pouvez exercer vos droits d'accès et de rectification auprès de l'opérateur.

6. Démarchage. Le démarchage des titulaires par les organismes de formation est interdit. Signalez toute sollicitation abusive.

7. Évolution des conditions. Ces conditions peuvent évoluer ; toute nouvelle version doit être acceptée lors de votre connexion suivante pour continuer à utiliser le service.
"""


def create_first_version(apps, schema_editor):
    TermsVersion = apps.get_model("holders", "TermsVersion")
    TermsVersion.objects.get_or_create(
        version="1.0", defaults={"in_force_from": datetime.date(2026, 1, 1), "text": TEXT}
    )


class Migration(migrations.Migration):
    dependencies = [("holders", "0002_login_terms_and_api_tokens")]

    operations = [migrations.RunPython(create_first_version, migrations.RunPython.noop)]
