"""The catalogue file in LHÉO XML (rule 25): read into the CSV's lines and through the same
checks, report and all-or-nothing writing; exported and imported back unchanged; a malformed
or malicious XML refused before anything is read from it."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from lxml import etree
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.catalogue import catalogue_file, imports, lheo
from cpf.catalogue.enums import ImportStatus, Modality, SessionStatus
from cpf.catalogue.models import CatalogueImport, Session, Training
from cpf.catalogue.tasks import import_catalogue_file
from tests.catalogue.catalogue_files import (
    CERTIFICATION,
    LHEO_NAMESPACE,
    lheo_action,
    lheo_file,
    lheo_formation,
    lheo_session,
    line,
    line_of,
)
from tests.catalogue.catalogue_files import catalogue_file as a_csv_file
from tests.catalogue.file_fixtures import *  # noqa: F403
from tests.catalogue.file_fixtures import send_file
from tests.catalogue.test_catalogue_file import offers_of
from tests.clock import TODAY
from tests.factories import ProviderFactory, SessionFactory, TrainingFactory

pytestmark = pytest.mark.django_db

NS = {"l": LHEO_NAMESPACE}


def send(provider, member, content: bytes, *, publish: bool = False) -> CatalogueImport:
    return send_file(provider, member, content, file_name="catalogue.xml", publish=publish)


def test_an_lheo_file_creates_trainings_actions_and_sessions(provider, member):
    content = lheo_file(
        lheo_formation(
            "F1",
            lheo_action(
                "A1",
                lheo_session("S1"),
                lheo_session("S2", start=datetime.date(2027, 6, 1), etat="2", places="8"),
            ),
            lheo_action("A2", modalite="2", insee="", prix="3200,50"),
        ),
        lheo_formation("F2"),
    )

    done = send(provider, member, content)

    assert (done.status, done.errors) == (ImportStatus.DONE, [])
    assert done.summary["created"] == {"training": 2, "action": 3, "session": 4}
    f1 = Training.objects.get(provider=provider, reference="F1")
    assert (f1.certification_id, f1.title, f1.strong_points) == (
        CERTIFICATION,
        "Développeur web (F1)",
        "Projet en entreprise.",
    )
    in_person = f1.actions.get(reference="A1")
    assert (
        in_person.modality,
        in_person.commune.insee_code,
        in_person.address,
        in_person.price_cents,
        in_person.personal_work_hours,
        in_person.equipment,
        in_person.admission_terms,
    ) == (Modality.IN_PERSON, "69383", "3 place Bellecour", 450_000, 20, "Un ordinateur.", "Entretien.")
    assert sorted(in_person.sessions.values_list("reference", "start_date", "seats", "status")) == [
        ("S1", datetime.date(2027, 3, 1), 12, SessionStatus.OPEN),
        ("S2", datetime.date(2027, 6, 1), 8, SessionStatus.FULL),
    ]
    remote = f1.actions.get(reference="A2")
    assert (remote.modality, remote.commune_id, remote.price_cents) == (Modality.REMOTE, None, 320_050)


def test_the_lheo_export_imports_back_unchanged_and_reads_as_the_csv_export(provider, member):
    send(
        provider,
        member,
        a_csv_file(
            line("F1", "A1", "S1", date_examen="15/07/2027", lieu_examen="Lyon", cout_examen="120"),
            line("F1", "A2", "S1", modalite="mixte", adresse="Bâtiment B, " + "très long chemin " * 8),
            line("F2", "A1", "S1", modalite="distance", code_insee="", code_postal="", adresse=""),
        ),
    )
    # an offer entered without references, a training without action, text XML must escape
    SessionFactory(
        action__training=TrainingFactory(provider=provider, reference=""), status=SessionStatus.CANCELLED
    )
    TrainingFactory(
        provider=provider, reference="F9", objectives="<b>Objectifs</b> & « guillemets »\r\nsuite"
    )
    before = offers_of(provider)
    exported = "".join(lheo.export_lheo(provider)).encode()

    again = send(provider, member, exported)

    assert again.status == ImportStatus.DONE, again.errors
    assert again.summary["created"] == {"training": 0, "action": 0, "session": 0}
    assert again.summary["updated"] == {"training": 0, "action": 0, "session": 0}
    assert offers_of(provider) == before
    # the two exports read into the same offers
    csv_lines = catalogue_file.check_file(
        "".join(catalogue_file.export_csv(provider)).encode(), provider=provider, today=TODAY
    ).lines
    lheo_lines = catalogue_file.check_file(exported, provider=provider, today=TODAY).lines
    assert [(x.training, x.action, x.session) for x in lheo_lines] == [
        (x.training, x.action, x.session) for x in csv_lines
    ]
    root = etree.fromstring(exported)
    assert root.tag == f"{{{LHEO_NAMESPACE}}}lheo"
    action = root.find("l:offres/l:formation[@numero='F1']/l:action[@numero='A1']", NS)
    assert action.findtext("l:prix-total-TTC", namespaces=NS) == "4500.00"
    assert action.findtext("l:lieu-de-formation/l:coordonnees/l:adresse/l:ville", namespaces=NS) == "Lyon"
    assert action.findtext("l:session/l:periode/l:debut", namespaces=NS) == "20270301"


def test_bad_elements_refuse_the_file_each_with_its_reason(provider, member):
    SessionFactory(action__training=TrainingFactory(provider=provider, reference="F1", title="Avant"))
    before = offers_of(provider)
    content = lheo_file(
        lheo_formation("F1", intitule="Après"),  # a good training, not applied either
        lheo_formation(
            "F2",
            lheo_action(
                "A1", lheo_session("S1", debut="20270231"), lheo_session("", etat="9"), prix="gratuit"
            ),
            lheo_action("A2", modalite="7"),
            intitule="",
        ),
        lheo_formation("F3", certification="<code-RNCP>37674</code-RNCP><code-RS>5678</code-RS>"),
    )

    refused = send(provider, member, content)

    assert refused.status == ImportStatus.REFUSED
    assert refused.errors == [
        {
            "line": line_of(content, "<intitule-formation></intitule-formation>"),
            "field": "intitule-formation",
            "message": "Renseignez l'élément <intitule-formation> (intitulé).",
        },
        {
            "line": line_of(content, "<prix-total-TTC>gratuit"),
            "field": "prix-total-TTC",
            "message": "« gratuit » n'est pas un montant en euros.",
        },
        {
            "line": line_of(content, "<debut>20270231"),
            "field": "debut",
            "message": "« 20270231 » n'est pas une date (AAAAMMJJ).",
        },
        {
            "line": line_of(content, "<session>"),
            "field": "session/@numero",
            "message": "Renseignez l'attribut numero de <session> (référence de la session).",
        },
        {
            "line": line_of(content, "<etat-recrutement>9"),
            "field": "etat-recrutement",
            "message": "État inconnu « 9 » : 1 (ouvert), 2 (fermé : complète) ou 3 (suspendu : annulée).",
        },
        {
            "line": line_of(content, "<modalites-enseignement>7"),
            "field": "modalites-enseignement",
            "message": "Modalité inconnue « 7 » : 0 (présentiel), 1 (mixte) ou 2 (à distance).",
        },
        {
            "line": line_of(content, "<code-RNCP>", 3),
            "field": "certification",
            "message": "La formation « F3 » prépare à plusieurs certifications (RNCP37674, RS5678) : "
            "une seule par formation.",
        },
    ]
    assert offers_of(provider) == before
    assert Training.objects.get(provider=provider, reference="F1").title == "Avant"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        pytest.param(
            b'<?xml version="1.0"?>\n<lheo xmlns="http://lheo.gouv.fr/2.3">\n<offres>\n</lheo>\n',
            {
                "line": 4,
                "field": "",
                "message": "Le fichier XML est mal formé, ligne 4 : "
                "Opening and ending tag mismatch: offres line 3 and lheo, line 4, column 8",
            },
            id="malformed",
        ),
        pytest.param(
            b"<lheo><offres/></lheo>",
            {
                "line": 1,
                "field": "lheo",
                "message": 'L\'élément racine doit être <lheo xmlns="http://lheo.gouv.fr/2.3"> (LHÉO 2.3) ; '
                "trouvé : <lheo> sans espace de noms.",
            },
            id="no namespace",
        ),
        pytest.param(
            b'<?xml version="1.0"?>\n<catalogue xmlns="http://lheo.gouv.fr/2.3"/>',
            {
                "line": 2,
                "field": "lheo",
                "message": 'L\'élément racine doit être <lheo xmlns="http://lheo.gouv.fr/2.3"> (LHÉO 2.3) ; '
                "trouvé : <catalogue> dans l'espace de noms http://lheo.gouv.fr/2.3.",
            },
            id="another root",
        ),
        pytest.param(
            b'<lheo xmlns="http://lheo.gouv.fr/2.3">\n<formations/>\n</lheo>',
            {"line": 1, "field": "offres", "message": "Il manque l'élément <offres> sous <lheo>."},
            id="no offres",
        ),
        pytest.param(
            b'<lheo xmlns="http://lheo.gouv.fr/2.3">\n<offres/>\n</lheo>',
            {
                "line": 1,
                "field": "offres",
                "message": "Le fichier ne contient aucune formation (<offres> est vide).",
            },
            id="no formation",
        ),
    ],
)
def test_a_file_that_is_not_lheo_is_refused_with_what_is_wrong(provider, member, content, error):
    refused = send(provider, member, content)

    assert (refused.status, refused.errors) == (ImportStatus.REFUSED, [error])
    assert not Training.objects.filter(provider=provider).exists()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lheo [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation numero="F1">
<intitule-formation>&lol9;</intitule-formation></formation></offres></lheo>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE lheo [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation numero="F1">
<intitule-formation>&secret;</intitule-formation></formation></offres></lheo>
"""


@pytest.mark.parametrize(
    "content", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion laughs", "external entity"]
)
def test_a_file_declaring_entities_is_refused_without_expanding_them(provider, member, content):
    refused = send(provider, member, content)

    assert (refused.status, refused.errors) == (
        ImportStatus.REFUSED,
        [
            {
                "line": 1,
                "field": "",
                "message": "Le fichier déclare une DTD ou des entités (<!DOCTYPE>) : ce n'est pas admis.",
            }
        ],
    )
    assert not Training.objects.filter(provider=provider).exists()


def test_a_large_lheo_file_goes_to_the_worker_which_imports_it(provider, member):
    sessions = [lheo_session(f"S{n}") for n in range(imports.INLINE_LINES + 1)]
    content = lheo_file(lheo_formation("F1", lheo_action("A1", *sessions)))

    waiting = send(provider, member, content)

    assert catalogue_file.work_units(content) == imports.INLINE_LINES + 1
    assert (waiting.status, waiting.total_lines) == (
        ImportStatus.WAITING,
        catalogue_file.count_lines(content),
    )
    assert ProcrastinateJob.objects.get(task_name="catalogue.import_catalogue_file").args == {
        "import_id": waiting.pk
    }

    import_catalogue_file(import_id=waiting.pk)

    waiting.refresh_from_db()
    assert (waiting.status, waiting.percent) == (ImportStatus.DONE, 100)
    assert Session.objects.filter(action__training__provider=provider).count() == imports.INLINE_LINES + 1


def test_an_lheo_file_of_another_providers_offer_by_its_number_is_refused(provider, member):
    theirs = TrainingFactory(reference="", provider=ProviderFactory())
    content = lheo_file(lheo_formation(f"#{theirs.pk}"))

    refused = send(provider, member, content)

    assert refused.errors == [
        {
            "line": line_of(content, "<formation"),
            "field": "formation/@numero",
            "message": f"Aucune formation de référence « #{theirs.pk} ».",
        }
    ]


def test_the_parser_itself_neither_expands_nor_fetches_an_entity():
    """Behind the DOCTYPE refusal: libxml2 stops the billion laughs, and leaves an external
    entity as a reference that the reading refuses."""
    with pytest.raises(etree.XMLSyntaxError, match="Maximum entity amplification"):
        etree.fromstring(BILLION_LAUGHS, lheo._parser())
    root = etree.fromstring(EXTERNAL_ENTITY, lheo._parser())
    assert "".join(root.itertext()) == "\n&secret;"
    assert [type(node) for node in root.iter()][-1] is etree._Entity


def test_the_documentations_example_imports(provider, member):
    doc = (settings.BASE_DIR / "docs" / "catalogue-file-format.md").read_text()
    example = doc.split("```xml\n", 1)[1].split("```", 1)[0].encode()

    done = send(provider, member, example)

    assert (done.status, done.errors) == (ImportStatus.DONE, [])
    assert done.summary["created"] == {"training": 1, "action": 1, "session": 1}
    session = Session.objects.get(action__training__provider=provider)
    assert (session.reference, session.action.reference, session.action.training.reference) == (
        "2027-03",
        "LYON",
        "DWWM-2027",
    )
