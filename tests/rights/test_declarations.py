"""Import of employers' declarations: line-by-line French rejections, nothing half-loaded,
holder accounts opened for new NIRs, the NIR never stored nor logged in clear."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cpf.holders.models import Holder
from cpf.rights import declarations, services
from cpf.rights.declarations import DeclarationFileError, Rejection
from cpf.rights.models import Declaration, DeclarationImport
from tests.clock import NOW
from tests.holders.factories import holder_with_login
from tests.ledger.support import new_holder, valid_nir
from tests.rights.support import BAKERY, HEADER, HOSPITAL, line, load

pytestmark = pytest.mark.django_db

NIR = valid_nir(11)
OTHER = valid_nir(12)
BAD_KEY = NIR[:13] + f"{(int(NIR[13:]) % 97) + 1:02d}"


def test_good_lines_load_and_bad_ones_are_reported_with_number_field_and_reason():
    report = load(
        line(NIR),
        line(BAD_KEY),
        line(OTHER, siret="44102156500012"),
        line(OTHER, year=2018),
        line(OTHER, hours="beaucoup"),
        line(OTHER, hours="12,345"),
        line(OTHER, reference="0"),
        line(OTHER, boeth="peut-être"),
        "185057800608491;44102156500011;2025",
        line(NIR, siret=BAKERY, hours="10"),
        line(OTHER, siret=HOSPITAL, hours="803,50", absence="", below_level_3="OUI"),
    )

    assert report.rejections == [
        Rejection(3, "nir", "La clé de contrôle ne correspond pas au numéro : vérifiez les 15 caractères."),
        Rejection(4, "siret_employeur", "Ce SIRET n'est pas valide (clé de contrôle incorrecte)."),
        Rejection(5, "annee", "L'année doit être écoulée et postérieure ou égale à 2019."),
        Rejection(6, "heures_travaillees", "Un nombre d'heures est attendu (par exemple 1607 ou 803,50)."),
        Rejection(7, "heures_travaillees", "Les heures s'écrivent avec deux décimales au plus."),
        Rejection(8, "heures_reference", "La durée de référence à temps plein doit être positive."),
        Rejection(9, "boeth", "Valeur attendue : « oui » ou « non »."),
        Rejection(10, "ligne", "10 colonnes attendues, 3 trouvées."),
        Rejection(
            11,
            "ligne",
            "Une autre ligne du fichier déclare déjà ce salarié pour cet employeur et cette année (ligne 2).",
        ),
    ]
    assert (report.lines_read, report.lines_loaded, report.holders_created) == (11, 2, 2)
    loaded = Declaration.objects.order_by("line_number")
    assert [(d.line_number, str(d.hours_worked), str(d.absence_hours), d.below_level_3) for d in loaded] == [
        (2, "1607.00", "0.00", False),
        (12, "803.50", "0.00", True),
    ]
    source = DeclarationImport.objects.get(pk=report.import_id)
    assert (source.lines_read, source.lines_loaded, source.lines_rejected) == (11, 2, 9)
    assert source.rejections[0] == {
        "ligne": 3,
        "champ": "nir",
        "motif": "La clé de contrôle ne correspond pas au numéro : vérifiez les 15 caractères.",
    }


def test_a_declaration_points_at_the_existing_holder_account():
    holder = new_holder(11)

    report = load(line(NIR))

    assert report.holders_created == 0
    assert Declaration.objects.get().holder == holder


def test_an_original_declared_twice_is_refused_with_the_way_out():
    load(line(NIR))

    report = load(line(NIR, hours="1000"))

    assert report.rejections == [
        Rejection(
            2,
            "correction",
            "Ce salarié est déjà déclaré par cet employeur pour cette année : "
            "marquez la ligne comme correction.",
        )
    ]
    assert Declaration.objects.count() == 1


def test_a_correction_supersedes_the_declaration_in_force():
    load(line(NIR))
    load(line(NIR, hours="1000", correction="oui"))

    report = load(line(NIR, hours="900", correction="oui"))

    assert report.rejections == []
    first, second, third = Declaration.objects.order_by("id")
    assert (second.supersedes, third.supersedes) == (first, second)
    assert list(Declaration.objects.current()) == [third]
    assert third.is_correction


@pytest.mark.parametrize(
    ("correction", "reason"),
    [
        (
            line(OTHER, correction="oui"),
            "Aucune déclaration de cet employeur pour ce salarié et cette année n'existe à corriger.",
        ),
        (
            line(NIR, correction="oui"),
            "Cette correction est identique à la déclaration en vigueur : elle ne change rien.",
        ),
    ],
)
def test_a_correction_without_effect_is_refused(correction, reason):
    load(line(NIR))

    report = load(correction)

    assert report.rejections == [Rejection(2, "correction", reason)]
    assert Declaration.objects.count() == 1


def test_a_year_is_declared_once_over_in_france():
    # given NOW in 2026, and 31 December 2026 23:30 UTC, which is already 2027 in Paris
    new_year_in_paris = datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC)

    # when 2026 is declared during the year, then it is refused; once 2027 has begun, it loads
    assert load(line(NIR, year=2026), now=NOW).rejections == [
        Rejection(2, "annee", "L'année doit être écoulée et postérieure ou égale à 2019.")
    ]
    assert load(line(NIR, year=2026), now=new_year_in_paris).lines_loaded == 1


def test_a_file_without_the_expected_columns_is_refused_whole():
    with pytest.raises(DeclarationFileError) as refused:
        services.import_declarations(lines=["nir,siret,annee", NIR], file_name="x.csv", actor=None, now=NOW)

    assert str(refused.value).startswith("Colonnes manquantes : nir, siret_employeur, annee")
    assert (DeclarationImport.objects.count(), Holder.objects.count()) == (0, 0)


def test_a_failure_while_loading_leaves_nothing_half_loaded(monkeypatch):
    monkeypatch.setattr(declarations, "INSERT_DECLARATIONS", "SELECT 1 / 0")

    with pytest.raises(Exception, match="division by zero"):
        load(line(NIR), line(OTHER))

    assert (Holder.objects.count(), Declaration.objects.count(), DeclarationImport.objects.count()) == (
        0,
        0,
        0,
    )


def test_the_nir_is_never_stored_nor_logged_in_clear(caplog):
    connection.force_debug_cursor = True  # log every SQL statement, as DEBUG would
    try:
        with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="django"):
            load(line(NIR), line(OTHER, hours="beaucoup"), line(BAD_KEY))
    finally:
        connection.force_debug_cursor = False

    assert "django.db.backends" in {record.name for record in caplog.records}
    for clear in (NIR, OTHER, BAD_KEY):
        assert clear not in caplog.text
        assert clear[:13] not in caplog.text
        assert _rows_containing(clear[:13]) == []
    assert Holder.objects.count() == 1


def _rows_containing(text: str) -> list[str]:
    """The tables of the database where any row, as text, contains ``text``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [name for (name,) in cursor.fetchall()]
        found = []
        for table in tables:
            cursor.execute(f'SELECT 1 FROM "{table}" AS t WHERE t::text LIKE %s LIMIT 1', [f"%{text}%"])
            if cursor.fetchone():
                found.append(table)
    return found


def test_the_command_lists_the_rejections_and_sums_up(tmp_path, capsys, frozen_clock):
    path = tmp_path / "declarations.csv"
    path.write_text("\n".join([HEADER, line(NIR), line(OTHER, hours="-3")]) + "\n", encoding="utf-8")

    call_command("import_declarations", str(path), verbosity=1)

    captured = capsys.readouterr()
    assert "ligne 3, champ heures_travaillees : Un nombre d'heures est attendu" not in captured.err
    assert "ligne 3, champ heures_travaillees : Le nombre d'heures doit être positif ou nul." in captured.err
    assert (
        "2 lignes lues, 1 chargées, 1 refusées ; 1 comptes ouverts, 0 identités enregistrées" in captured.out
    )


def test_the_command_refuses_a_missing_file():
    with pytest.raises(CommandError):
        call_command("import_declarations", "/nonexistent/declarations.csv", verbosity=0)


# The employee's identity: optional columns, checked when present, recorded on the account.

IDENTITY_HEADER = HEADER + ";nom_naissance;prenoms;date_naissance"


def with_identity(
    text: str, birth_name: str = "DURAND", first_names: str = "Louis Marc", born: str = "02/05/1985"
) -> str:
    return f"{text};{birth_name};{first_names};{born}"


def load_with_identity(*lines: str, file_name: str = "declarations.csv") -> declarations.ImportReport:
    return services.import_declarations(
        lines=[IDENTITY_HEADER, *lines], file_name=file_name, actor=None, now=NOW
    )


def identity(holder: Holder) -> tuple[str, str, datetime.date | None]:
    holder.refresh_from_db()
    return holder.birth_name, holder.first_names, holder.birth_date


def test_a_file_without_the_identity_columns_still_loads_and_records_no_identity():
    report = load(line(NIR))

    assert (report.lines_loaded, report.rejections, report.identities_recorded) == (1, [], 0)
    declaration = Declaration.objects.get()
    assert (declaration.birth_name, declaration.first_names, declaration.birth_date) == ("", "", None)
    assert identity(declaration.holder) == ("", "", None)


def test_the_declared_identity_is_kept_with_the_declaration_and_recorded_on_the_account():
    report = load_with_identity(
        with_identity(line(NIR), "  LE   GOFF ", "Anne\u00a0Marie,  Jeanne", "1985-05-02")
    )

    assert (report.lines_loaded, report.rejections, report.identities_recorded) == (1, [], 1)
    declaration = Declaration.objects.get()
    assert (declaration.birth_name, declaration.first_names, declaration.birth_date) == (
        "LE GOFF",
        "Anne Marie, Jeanne",
        datetime.date(1985, 5, 2),
    )
    assert identity(declaration.holder) == ("LE GOFF", "Anne Marie, Jeanne", datetime.date(1985, 5, 2))


@pytest.mark.parametrize(
    ("cells", "field", "reason"),
    [
        (
            ("DURAND", "", "02/05/1985"),
            "prenoms",
            "L'identité du salarié est incomplète : nom de naissance, prénoms et date de naissance "
            "se déclarent ensemble.",
        ),
        (
            ("", "Louis", "02/05/1985"),
            "nom_naissance",
            "L'identité du salarié est incomplète : nom de naissance, prénoms et date de naissance "
            "se déclarent ensemble.",
        ),
        (
            ("DURAND", "Louis", "2/5/85"),
            "date_naissance",
            "Une date au format jj/mm/aaaa est attendue (par exemple 02/05/1985).",
        ),
        (
            ("DURAND", "Louis", "31/04/1985"),
            "date_naissance",
            "Une date au format jj/mm/aaaa est attendue (par exemple 02/05/1985).",
        ),
        (
            ("DURAND", "Louis", "02/05/1986"),
            "date_naissance",
            "L'année de naissance ne correspond pas à celle du NIR.",
        ),
        (
            ("DURAND", "Louis", "02/06/1985"),
            "date_naissance",
            "Le mois de naissance ne correspond pas à celui du NIR.",
        ),
        (
            ("DURAND", "Louis", "02/05/2085"),
            "date_naissance",
            "La date de naissance doit être passée, en 1900 ou après.",
        ),
        (
            ("DURAND2", "Louis", "02/05/1985"),
            "nom_naissance",
            "Seuls les lettres, les espaces, les traits d'union et les apostrophes sont admis.",
        ),
        (
            ("---", "Louis", "02/05/1985"),
            "nom_naissance",
            "Seuls les lettres, les espaces, les traits d'union et les apostrophes sont admis.",
        ),
        (
            ("DURAND", "Louis (Marc)", "02/05/1985"),
            "prenoms",
            "Seuls les lettres, les espaces, les traits d'union et les apostrophes sont admis "
            "(et la virgule entre deux prénoms).",
        ),
        (
            ("D" * 151, "Louis", "02/05/1985"),
            "nom_naissance",
            "Le nom ou les prénoms comptent 150 caractères au plus.",
        ),
    ],
)
def test_a_wrong_identity_rejects_its_line_with_the_reason(cells, field, reason):
    # NIR: a man born in May 1985
    report = load_with_identity(with_identity(line(NIR), *cells), with_identity(line(OTHER)))

    assert report.rejections == [Rejection(2, field, reason)]
    assert report.lines_loaded == 1
    assert Holder.objects.count() == 1


def test_a_birth_month_unknown_at_registration_is_not_checked():
    born_in_an_unknown_month = valid_nir(13, month=30)

    report = load_with_identity(with_identity(line(born_in_an_unknown_month), born="25/12/1985"))

    assert report.rejections == []
    assert identity(Declaration.objects.get().holder)[2] == datetime.date(1985, 12, 25)


def test_identity_columns_come_together():
    with pytest.raises(DeclarationFileError) as refused:
        services.import_declarations(
            lines=[HEADER + ";nom_naissance;date_naissance", line(NIR) + ";DURAND;02/05/1985"],
            file_name="x.csv",
            actor=None,
            now=NOW,
        )

    assert str(refused.value) == (
        "Les colonnes de l'identité vont ensemble (nom_naissance, prenoms, date_naissance) : "
        "il manque prenoms."
    )
    assert (DeclarationImport.objects.count(), Holder.objects.count()) == (0, 0)


def test_a_line_without_identity_in_a_file_with_the_columns_loads_and_clears_nothing():
    load_with_identity(with_identity(line(NIR)))

    report = load_with_identity(f"{line(NIR, siret=HOSPITAL)};;;")

    assert (report.lines_loaded, report.rejections, report.identities_recorded) == (1, [], 0)
    assert identity(Holder.objects.get()) == ("DURAND", "Louis Marc", datetime.date(1985, 5, 2))


def test_when_declarations_disagree_the_most_recent_identity_is_recorded():
    # given a file where two employers write the name differently: the last line wins
    load_with_identity(
        with_identity(line(NIR, siret=BAKERY), "DURANT", "Louis"),
        with_identity(line(NIR, siret=HOSPITAL), "DURAND", "Louis Marc"),
    )
    holder = Holder.objects.get()
    assert identity(holder) == ("DURAND", "Louis Marc", datetime.date(1985, 5, 2))

    # when a declaration of an earlier year arrives later, it does not replace a later year's
    report = load_with_identity(with_identity(line(NIR, year=2024), "DURANT", "Louis"))
    assert (report.lines_loaded, report.identities_recorded) == (1, 0)
    assert identity(holder) == ("DURAND", "Louis Marc", datetime.date(1985, 5, 2))

    # and a correction of the latest year that corrects the identity only is loaded and recorded
    report = load_with_identity(
        with_identity(line(NIR, siret=HOSPITAL, correction="oui"), "DURAND", "Louis Marc Henri")
    )
    assert (report.lines_loaded, report.rejections, report.identities_recorded) == (1, [], 1)
    assert identity(holder) == ("DURAND", "Louis Marc Henri", datetime.date(1985, 5, 2))


def test_an_account_someone_signed_up_to_keeps_the_identity_of_its_sign_up():
    holder = holder_with_login(nir=NIR, birth_date=datetime.date(1985, 5, 2))

    report = load_with_identity(with_identity(line(NIR), "DURAND", "Louis"))

    assert (report.lines_loaded, report.identities_recorded) == (1, 0)
    assert identity(holder) == ("MARTIN", "Camille", datetime.date(1985, 5, 2))
    assert Declaration.objects.get().birth_name == "DURAND"


def test_the_command_counts_the_identities_recorded(tmp_path, capsys):
    path = tmp_path / "declarations.csv"
    path.write_text(
        "\n".join([IDENTITY_HEADER, with_identity(line(NIR)), f"{line(OTHER)};;;"]) + "\n", encoding="utf-8"
    )

    call_command("import_declarations", str(path), verbosity=1)

    assert "2 lignes lues, 2 chargées, 0 refusées ; 2 comptes ouverts, 1 identités enregistrées" in (
        capsys.readouterr().out
    )
