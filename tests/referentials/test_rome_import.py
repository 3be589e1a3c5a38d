"""ROME v4.60 domains, job sheets and job titles as imported from data/rome."""

from __future__ import annotations

import pytest
from django.db.models import F, Q

from cpf.referentials.models import Job, JobDomain, JobSubDomain, JobTitle

pytestmark = pytest.mark.django_db


def test_every_domain_sheet_and_title_is_imported():
    assert JobDomain.objects.count() == 14
    assert JobSubDomain.objects.count() == 110
    assert Job.objects.count() == 1_584
    assert Job.objects.main().count() == 532
    assert Job.objects.filter(parent__isnull=False).count() == 1_052
    assert JobTitle.objects.count() == 13_120
    assert JobTitle.objects.filter(is_main_title=True).count() == 1_584
    assert JobTitle.objects.filter(rarely_used=True).count() == 199


def test_sub_sheets_point_to_a_classic_code():
    assert not Job.objects.filter(parent__parent__isnull=False).exists()


def test_the_classic_developer_sheet_is_imported_field_by_field():
    job = Job.objects.select_related("sub_domain__domain").get(code="M1805")

    assert (job.label, job.parent_id, job.main_code) == (
        "Développeur / Développeuse informatique",
        None,
        "M1805",
    )
    assert (job.sub_domain.code, job.sub_domain.label) == (
        "M18",
        "Systèmes d'information et de télécommunication",
    )
    assert (job.sub_domain.domain.code, job.sub_domain.domain.label) == ("M", "Support à l'entreprise")
    assert job.access == (
        "Cet emploi est accessible avec un niveau Bac+2 à Bac+5 dans le domaine de l'informatique."
    )


def test_a_sheet_definition_is_rebuilt_from_its_sentences_in_order_with_apostrophes_undoubled():
    definition = Job.objects.get(code="M1805").definition

    assert definition.startswith(
        "Le / La Développeur(se) informatique conçoit et améliore des systèmes informatiques. "
        "Conçoit et développe des applications informatiques selon les besoins des utilisateurs "
        "Participe à l'analyse des besoins des clients"
    )
    assert definition.endswith(
        "Effectue des tests et des validations pour s'assurer de la qualité et de la performance "
        "des applications"
    )
    assert len(definition) == 697
    assert not Job.objects.filter(Q(definition__contains="''") | Q(access__contains="''")).exists()
    assert not Job.objects.filter(Q(definition="") | Q(access="")).exists()


def test_a_sub_sheet_points_to_its_classic_code():
    job = Job.objects.get(code="M1855")

    assert (job.label, job.parent_id, job.main_code, job.sub_domain_id) == (
        "Développeur / Développeuse web",
        "M1805",
        "M1805",
        "M18",
    )


def test_the_web_developer_title_is_imported_field_by_field():
    title = JobTitle.objects.get(ogr_code=14156)

    assert (
        title.label,
        title.short_label,
        title.search_label,
        title.job_id,
        title.main_job_id,
        title.is_main_title,
        title.rarely_used,
    ) == (
        "Développeur / Développeuse web",
        "Développeur / Développeuse web",
        "developpeur developpeuse web",
        "M1855",
        "M1805",
        True,
        False,
    )
    assert JobTitle.objects.filter(job_id="M1855").count() == 8
    assert JobTitle.objects.filter(main_job_id="M1805").count() == 143


def test_a_title_groups_under_its_own_code_rome_parent_even_when_its_sheet_has_another():
    """404 titles carry a ``code_rome_parent`` that is not their sheet's classic code (the ROME
    v3 code they had): ``main_job`` follows the title, as the publisher's grouping does."""
    title = JobTitle.objects.select_related("job").get(ogr_code=10267)

    assert (title.job_id, title.job.parent_id, title.main_job_id) == ("E1122", "E1108", "E1102")
    assert JobTitle.objects.exclude(main_job=F("job")).exclude(main_job=F("job__parent")).count() == 404
