"""BMO 2024 recruitment projects, 2021 tension indicators and their commune → area maps as
imported from data/bmo and data/tension."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from cpf.referentials.models import BmoAreaCommune, JobTension, RecruitmentProjects, TensionAreaCommune

pytestmark = pytest.mark.django_db


def test_every_bmo_row_is_imported_with_secret_figures_as_null():
    assert RecruitmentProjects.objects.count() == 53_443
    assert RecruitmentProjects.objects.filter(projects__isnull=True).count() == 10_891
    assert RecruitmentProjects.objects.filter(difficult_projects__isnull=True).count() == 20_507
    assert RecruitmentProjects.objects.filter(seasonal_projects__isnull=True).count() == 39_359
    assert RecruitmentProjects.objects.aggregate(total=Sum("projects"))["total"] == 2_751_069
    assert RecruitmentProjects.objects.values("fap_code").distinct().count() == 217
    assert RecruitmentProjects.objects.values("area_code").distinct().count() == 406


def test_a_bmo_row_is_imported_field_by_field():
    row = RecruitmentProjects.objects.get(fap_code="A0X40", area_code="103")

    assert (
        row.fap_label,
        row.family_code,
        row.region_code,
        row.department_code,
        row.area_name,
        row.projects,
        row.difficult_projects,
        row.seasonal_projects,
    ) == ("Agriculteurs", "Z", "01", "971", "BASSIN MARIE-GALANTE", 17, None, None)


def test_an_area_over_two_departments_has_one_row_per_department():
    rows = RecruitmentProjects.objects.filter(fap_code="A0X40", area_code="1118").order_by("department_code")

    assert list(rows.values_list("department_code", "projects", "difficult_projects")) == [
        ("77", 6, 6),
        ("91", 12, None),
    ]


def test_every_commune_to_area_row_is_imported():
    assert BmoAreaCommune.objects.count() == 37_498
    assert BmoAreaCommune.objects.get(insee_code="63113").area_name == "CLERMONT FERRAND"
    assert TensionAreaCommune.objects.count() == 35_357
    area = TensionAreaCommune.objects.get(insee_code="01001")
    assert (area.area_code, area.area_name) == ("8401", "BOURG EN BRESSE")


def test_every_tension_row_resolves_onto_a_classic_rome_code():
    assert JobTension.objects.count() == 27_135
    assert JobTension.objects.values("job").distinct().count() == 397
    assert not JobTension.objects.filter(job__parent__isnull=False).exists()
    assert JobTension.objects.filter(training_link__isnull=True).count() == 10


def test_a_tension_row_reads_decimal_commas():
    row = JobTension.objects.get(job_id="M1805", area_code="0201")

    assert (
        row.job_offers,
        row.jobseekers,
        row.tension,
        row.hiring_intensity,
        row.labour_shortage,
        row.job_instability,
        row.hard_conditions,
        row.geographic_mismatch,
        row.training_link,
    ) == (70.63636364, 46.0, 5, 5, 4, 1, 1, 2, 4)
