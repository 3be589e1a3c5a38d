"""``manage.py import_referentials``: idempotent, skips unchanged files, rewrites no unchanged
row even when forced, repairs drift, reports what it did. The test database already holds one
import (tests/conftest.py); each test runs another on top of it."""

from __future__ import annotations

import io
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cpf.referentials.importers import DATASETS, TABLES, import_referentials
from cpf.referentials.models import (
    Certification,
    CertificationJob,
    CertificationKind,
    Job,
    JobTension,
    ReferentialImport,
    SkillBlock,
    TensionAreaCommune,
)

pytestmark = pytest.mark.django_db

ALL_TABLES = [model._meta.db_table for model in [*TABLES, ReferentialImport]]


def snapshot() -> dict[str, tuple[str, str]]:
    """Per table: a digest of its content, and a digest of its row versions (ctid, xmin), which
    change whenever a row is rewritten, even with the same values."""
    digests = {}
    with connection.cursor() as cursor:
        for table in ALL_TABLES:
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')), "
                f"md5(coalesce(string_agg(t.ctid::text || t.xmin::text, ',' ORDER BY t.ctid), '')) "
                f"FROM {table} t"
            )
            digests[table] = cursor.fetchone()
    return digests


def test_a_second_import_skips_every_unchanged_dataset_and_writes_nothing():
    before = snapshot()

    report = import_referentials()

    assert [outcome.name for outcome in report.outcomes if not outcome.skipped] == []
    assert snapshot() == before


def test_a_forced_import_reads_every_file_again_and_rewrites_no_row():
    before = snapshot()

    report = import_referentials(force=True)

    assert [outcome.name for outcome in report.outcomes if outcome.skipped] == []
    changes = [
        (table.table, table.inserted, table.updated, table.deleted)
        for outcome in report.outcomes
        for table in outcome.tables
        if (table.inserted, table.updated, table.deleted) != (0, 0, 0)
    ]
    assert changes == []
    assert snapshot() == before


def test_a_forced_import_repairs_a_changed_row_and_removes_a_stale_one():
    Job.objects.filter(code="M1805").update(label="Programmeur")
    JobTension.objects.create(job_id="M1805", area_code="9999", job_offers=1.0)

    report = import_referentials(force=True)

    assert Job.objects.get(code="M1805").label == "Développeur / Développeuse informatique"
    assert not JobTension.objects.filter(area_code="9999").exists()
    jobs = next(t for t in report.outcome("rome_jobs").tables if t.table == "referentials_job")
    assert (jobs.inserted, jobs.updated, jobs.deleted) == (0, 1, 0)
    (tension,) = report.outcome("tension").tables
    assert (tension.inserted, tension.updated, tension.deleted) == (0, 0, 1)


def test_a_forced_import_leaves_the_links_of_certifications_it_does_not_list_alone():
    """The catalogue adds RS certifications, and RNCP ones newer than the 2021 file: an RNCP
    re-import never touches their links, only those of the certifications it lists."""
    rs = Certification.objects.create(code="RS999999", kind=CertificationKind.RS, title="Excel")
    rncp_2024 = Certification.objects.create(code="RNCP999999", kind=CertificationKind.RNCP, title="Cloud")
    for certification in (rs, rncp_2024):
        certification.nsf.add("326")
        CertificationJob.objects.create(certification=certification, job_id="M1805")
        SkillBlock.objects.create(code=f"{certification.code}BC01", certification=certification, title="Bloc")
    CertificationJob.objects.create(certification_id="RNCP34001", job_id="M1805")  # not in the source

    import_referentials(force=True)

    for certification in (rs, rncp_2024):
        assert (
            list(certification.nsf.values_list("code", flat=True)),
            list(certification.jobs.values_list("code", flat=True)),
            list(certification.skill_blocks.values_list("code", flat=True)),
        ) == (["326"], ["M1805"], [f"{certification.code}BC01"])
    assert sorted(Certification.objects.get(code="RNCP34001").jobs.values_list("code", flat=True)) == [
        "A1101",
        "G1101",
        "N2201",
    ]


def test_an_emptied_table_is_imported_again_though_its_file_is_unchanged():
    TensionAreaCommune.objects.all().delete()

    report = import_referentials()

    assert [outcome.name for outcome in report.outcomes if not outcome.skipped] == ["tension_areas"]
    assert TensionAreaCommune.objects.count() == 35_357


def test_each_dataset_records_the_checksum_of_its_files_and_its_rows():
    records = {record.dataset: record for record in ReferentialImport.objects.all()}

    assert sorted(records) == sorted(dataset.name for dataset in DATASETS)
    assert records["communes"].rows == 36_208
    assert records["communes"].details["files"] == {
        "geo/communes.csv.gz": records["communes"].details["files"]["geo/communes.csv.gz"],
        "geo/departements.csv": records["departments"].details["files"]["geo/departements.csv"],
    }
    assert len(records["communes"].sha256) == 64


def test_the_command_reports_rows_per_table_and_the_rncp_to_rome_resolution():
    out, err = io.StringIO(), io.StringIO()

    call_command("import_referentials", stdout=out, stderr=err)

    report = out.getvalue()
    assert "  referentials_commune                      36,208\n" in report
    assert "  referentials_certificationjob             64,997\n" in report
    assert "  resolved onto the 532 classic codes: 44,942 links, 521 distinct codes\n" in report
    assert "  not resolved (nodes of the ROME tree, not jobs): 223 links, 104 distinct codes" in report
    assert "referentials: 100%" in err.getvalue()  # the progress bar


def test_the_command_is_silent_at_verbosity_zero():
    out, err = io.StringIO(), io.StringIO()

    call_command("import_referentials", verbosity=0, stdout=out, stderr=err)

    assert (out.getvalue(), err.getvalue()) == ("", "")


def test_a_missing_data_file_stops_the_import_and_changes_nothing(settings, tmp_path):
    """The last file is missing: everything imported before it is rolled back."""
    shutil.copytree(settings.DATA_DIR, tmp_path, dirs_exist_ok=True)
    (tmp_path / "tension/communes_bassins_emploi_2019.csv.gz").unlink()
    settings.DATA_DIR = tmp_path
    Job.objects.filter(code="M1805").update(label="Programmeur")
    before = snapshot()

    with pytest.raises(CommandError, match=r"Missing data file: .*/communes_bassins_emploi_2019\.csv\.gz"):
        call_command("import_referentials", "--force", verbosity=0)

    assert snapshot() == before
    assert Job.objects.get(code="M1805").label == "Programmeur"
