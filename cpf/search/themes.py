"""What a keyword means besides a job: a kind of action (a driving licence, a skills review, VAE
support, business creation), a language, a topic or a piece of software.

A small dictionary, read on both sides of the search:

* **the keyword** (``read``): its words, stemmed as the index's (``text.analyze``), are read
  left to right, the longest phrase of a theme first. "permis b" is the car licence, "permis"
  any driving licence, "cours d'anglais" English ("cours" is a generic word), "créer mon
  entreprise" business creation. What the person typed is shown as understood ("Permis de
  conduire B") and can be changed, as the jobs.
* **the certification** (``themes_of``): an offer has the themes its certification shows, from
  what the registries say of it, never from the provider's own title: its kind of action, its
  Formacode topics ("Anglais", "Logiciel SAP", "Chariot automoteur"), its certifier (the TOEIC's),
  and phrases of its title ("permis de conduire de catégorie B", "bilan de compétences").
* **teaching**: a certification of a teacher or a trainer ("Professeur d'anglais", "Formateur
  bureautique", an RS whose Formacode topics are "Formation formateur sécurité, Sauvetage
  secourisme travail" or "Didactique langue, Anglais") is not a course of its subject: it leads to
  teaching it. Its themes are marked as taught (``taught``: "enseigner:anglais"), found only by a
  keyword that asks for teachers or trainers ("professeur d'anglais", "formateur SST",
  "enseigner l'anglais"), and such a keyword finds only them.

A theme implies its parents: a car licence offer is found for "permis", a TOEIC for "anglais".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from .text import analyze, fold, stem

KIND = "kind"
LANGUAGE = "language"
TOPIC = "topic"
GROUP_LABELS = {KIND: "type de formation", LANGUAGE: "langue", TOPIC: "thème"}

# Words a person adds around a theme that change nothing: "créer mon entreprise", "passer le
# permis", "apprendre l'anglais".
FILLERS = frozenset(
    analyze(
        "mon ma mes notre nos votre vos son passer apprendre obtenir faire préparer préparation "
        "niveau certification certificat examen test"
    )
)

# Certifications that lead to teaching a subject, not to learning it: words of their own title
# (not of the certifier's name a built title ends with: "… (certificateur : MINISTERE DE
# L'ENSEIGNEMENT SUPERIEUR)"), the teachers' and trainers' jobs, and the Formacode topics of
# training trainers (folded label prefixes: "Formation formateur sécurité", "Didactique langue").
TEACHING_WORDS = frozenset(analyze("professeur enseignant enseignement formateur didactique pédagogie"))
TEACHING_JOBS = frozenset({"K2107", "K2111", "K2108"})
TEACHING_TOPICS = tuple(
    fold(label)
    for label in (
        "Formation formateur",
        "Formation enseignant",
        "Formateur",
        "Conception action formation",
        "Conception formation à distance",
        "Didactique",
        "Pédagogie",
        "Méthode pédagogique",
        "Relation pédagogique",
        "Psychopédagogie",
        "Ingénierie formation",
        "Évaluation formation",
        "Tutorat formation",
    )
)
# Words of a keyword asking for teachers or trainers of a theme ("professeur d'anglais",
# "formateur SST", "enseigner l'anglais", "moniteur auto-école").
TEACHING_TYPED = frozenset(
    analyze(
        "professeur professeurs prof enseignant enseigner enseignement formateur formatrice formateurs "
        "former didactique pédagogie moniteur monitrice instructeur"
    )
)
TAUGHT = "enseigner:"  # index token prefix of a teaching certification's themes


def taught(code: str) -> str:
    """The index token of teaching the theme ``code``."""
    return TAUGHT + code


@dataclass(frozen=True)
class Theme:
    code: str  # the index token, the ``theme`` parameter of a search
    label: str  # what the page says it understood
    group: str  # KIND, LANGUAGE or TOPIC
    typed: tuple[str, ...]  # phrases a person types
    parent: str | None = None
    # What marks a certification of this theme.
    kinds: tuple[str, ...] = ()  # certification kinds (``referentials.CertificationKind``)
    codes: tuple[str, ...] = ()  # certification codes (the eligible actions': ``referentials.eligible``)
    topics: tuple[str, ...] = ()  # Formacode labels, exactly (folded)
    titled: tuple[str, ...] = ()  # phrases of the certification's title
    certifiers: tuple[str, ...] = ()  # words of a certifier's name (folded)


THEMES: tuple[Theme, ...] = (
    # --- Kinds of action outside the registries, and the registries' own -----------------------
    Theme(
        "permis",
        "Permis de conduire",
        KIND,
        ("permis", "permis de conduire", "auto-école", "code de la route", "conduite accompagnée"),
        kinds=("PERMIS",),
        topics=("conduite auto", "conduite moto", "perfectionnement conduite"),
        titled=("permis de conduire", "permis b", "permis moto", "permis a2", "permis poids lourd"),
    ),
    Theme(
        "permis-b",
        "Permis de conduire B (voiture)",
        KIND,
        ("permis b", "permis voiture", "permis auto", "permis de conduire b", "permis de conduire voiture"),
        parent="permis",
        codes=("PERMIS-B",),
        topics=("conduite auto",),
        titled=("permis b", "permis de conduire b", "permis de conduire de catégorie b"),
    ),
    Theme(
        "permis-moto",
        "Permis moto (A1, A2, A)",
        KIND,
        ("permis moto", "moto", "permis a1", "permis a2", "permis de conduire moto", "motocyclette"),
        parent="permis",
        codes=("PERMIS-A2", "PERMIS-A"),
        topics=("conduite moto",),
        titled=("permis moto", "permis a1", "permis a2", "catégorie a2", "catégorie a1", "motocyclette"),
    ),
    Theme(
        "permis-poids-lourd",
        "Permis poids lourd et transport en commun (C, CE, D)",
        KIND,
        ("permis poids lourd", "permis camion", "permis bus", "permis transport en commun"),
        parent="permis",
        codes=("PERMIS-C", "PERMIS-CE", "PERMIS-D"),
        titled=("permis poids lourd", "permis de conduire poids lourd"),
    ),
    Theme(
        "bilan",
        "Bilan de compétences",
        KIND,
        ("bilan", "bilan de compétences", "bilan professionnel", "bilan d'orientation"),
        kinds=("BILAN",),
        topics=("bilan professionnel",),
        titled=("bilan de compétences",),
    ),
    Theme(
        "vae",
        "Accompagnement à la VAE (validation des acquis de l'expérience)",
        KIND,
        ("vae", "validation des acquis", "validation des acquis de l'expérience", "accompagnement vae"),
        kinds=("VAE",),
        topics=("architecte accompagnateur parcours vae",),
        titled=("vae", "validation des acquis de l'expérience"),
    ),
    Theme(
        "creation-entreprise",
        "Création ou reprise d'entreprise",
        KIND,
        (
            "créer entreprise",
            "création entreprise",
            "création d'entreprise",
            "reprise d'entreprise",
            "reprendre une entreprise",
            "créer société",
            "auto-entrepreneur",
            "micro-entreprise",
            "micro-entrepreneur",
            "créateur d'entreprise",
            "entrepreneuriat",
        ),
        kinds=("CREA",),
        topics=("création entreprise",),
        titled=(
            "création d'entreprise",
            "création reprise",
            "créateur repreneur",
            "créer son entreprise",
            "reprise d'entreprise",
        ),
    ),
    # --- Languages ---------------------------------------------------------------------------------
    Theme(
        "langues",
        "Langues — certifications de langue",
        LANGUAGE,
        ("langue", "langues étrangères", "langue vivante"),
        topics=("langues",),
    ),
    Theme(
        "anglais",
        "Anglais — certifications de langue",
        LANGUAGE,
        ("anglais", "english", "toefl", "ielts", "bulats", "linguaskill", "cambridge english"),
        parent="langues",
        topics=(
            "anglais",
            "anglais appliqué",
            "anglais commercial",
            "anglais secrétariat",
            "anglais technique",
            "anglais tourisme",
        ),
        titled=("anglais", "english", "toeic", "toefl", "linguaskill", "bulats"),
    ),
    Theme(
        "toeic",
        "Anglais — TOEIC",
        LANGUAGE,
        ("toeic",),
        parent="anglais",
        titled=("toeic",),
        certifiers=("educational testing service",),
    ),
    *(
        Theme(
            code,
            f"{name} — certifications de langue",
            LANGUAGE,
            typed,
            parent="langues",
            topics=tuple(fold(name) + suffix for suffix in ("", " appliqué", " commercial", " tourisme")),
            titled=(fold(name),),
        )
        for code, name, typed in (
            ("espagnol", "Espagnol", ("espagnol", "spanish", "español", "dele")),
            ("allemand", "Allemand", ("allemand", "german", "deutsch", "goethe")),
            ("italien", "Italien", ("italien", "italian")),
            ("portugais", "Portugais", ("portugais", "portuguese")),
            ("arabe", "Arabe", ("arabe", "arabic")),
            ("chinois", "Chinois", ("chinois", "mandarin", "chinese")),
            ("russe", "Russe", ("russe", "russian")),
            ("japonais", "Japonais", ("japonais", "japanese")),
        )
    ),
    Theme(
        "fle",
        "Français langue étrangère (FLE)",
        LANGUAGE,
        ("fle", "français langue étrangère", "delf", "dalf", "tcf", "français pour étrangers"),
        parent="langues",
        topics=("français langue étrangère", "français à visée professionnelle"),
        titled=("français langue étrangère", "delf", "dalf"),
    ),
    Theme(
        "langue-des-signes",
        "Langue des signes française (LSF)",
        LANGUAGE,
        ("langue des signes", "lsf"),
        parent="langues",
        topics=("langue des signes",),
        titled=("langue des signes",),
    ),
    # --- Topics and software ----------------------------------------------------------------------
    Theme(
        "bureautique",
        "Bureautique",
        TOPIC,
        ("bureautique", "pack office", "microsoft office", "office 365", "tosa", "pcie", "icdl"),
        topics=("bureautique", "logiciel bureautique", "logiciel tableur", "logiciel excel", "logiciel word"),
        titled=("bureautique", "tosa", "pcie", "icdl"),
    ),
    Theme(
        "excel",
        "Tableur Excel",
        TOPIC,
        ("excel", "tableur", "microsoft excel"),
        parent="bureautique",
        topics=("logiciel excel", "logiciel tableur", "logiciel calc"),
        titled=("excel", "tableur"),
    ),
    Theme(
        "word",
        "Traitement de texte Word",
        TOPIC,
        ("word", "microsoft word", "traitement de texte"),
        parent="bureautique",
        topics=("logiciel word", "logiciel writer"),
        titled=("word", "traitement de texte"),
    ),
    Theme(
        "powerpoint",
        "Présentation PowerPoint",
        TOPIC,
        ("powerpoint",),
        parent="bureautique",
        topics=("logiciel powerpoint",),
        titled=("powerpoint",),
    ),
    Theme("sap", "Logiciel SAP", TOPIC, ("sap",), topics=("logiciel sap",), titled=("sap",)),
    Theme(
        "wordpress",
        "Logiciel WordPress",
        TOPIC,
        ("wordpress",),
        topics=("logiciel wordpress",),
        titled=("wordpress",),
    ),
    Theme(
        "photoshop",
        "Logiciel Photoshop",
        TOPIC,
        ("photoshop",),
        topics=("logiciel photoshop",),
        titled=("photoshop",),
    ),
    Theme(
        "autocad", "Logiciel AutoCAD", TOPIC, ("autocad",), topics=("logiciel autocad",), titled=("autocad",)
    ),
    Theme(
        "habilitation-electrique",
        "Habilitation électrique",
        TOPIC,
        ("habilitation électrique", "habilitation", "habilitations électriques"),
        topics=("sécurité électrique", "habilitation électrique"),
        titled=("habilitation électrique",),
    ),
    Theme(
        "secourisme",
        "Secourisme et premiers secours",
        TOPIC,
        ("secourisme", "premiers secours", "psc1", "gestes qui sauvent"),
        topics=("sauvetage secourisme travail", "secourisme routier", "secourisme"),
        titled=("secourisme", "premiers secours", "sauveteur secouriste"),
    ),
    Theme(
        "sst",
        "Sauveteur secouriste du travail (SST)",
        TOPIC,
        ("sst", "sauveteur secouriste", "sauveteur secouriste du travail", "secouriste du travail"),
        parent="secourisme",
        topics=("sauvetage secourisme travail",),
        titled=("sauveteur secouriste du travail", "sst"),
    ),
    Theme(
        "caces",
        "CACES — conduite d'engins (chariot, nacelle, grue, engins de chantier)",
        TOPIC,
        (
            "caces",
            "chariot élévateur",
            "chariot automoteur",
            "conduite d'engins",
            "nacelle",
            "engin de chantier",
        ),
        topics=("chariot automoteur", "engin chantier", "nacelle élévatrice", "grue", "grue auxiliaire"),
        titled=(
            "caces",
            "chariot automoteur",
            "chariot élévateur",
            "conduite d'engins",
            "engins de chantier",
        ),
    ),
    Theme(
        "hygiene-alimentaire",
        "Hygiène alimentaire (HACCP)",
        TOPIC,
        ("hygiène alimentaire", "haccp", "hygiène restauration"),
        topics=("bonnes pratiques hygiène agroalimentaire",),
        titled=("hygiène alimentaire", "haccp"),
    ),
    Theme(
        "clea",
        "Certificat CléA (socle de connaissances)",
        TOPIC,
        ("clea", "cléa", "socle de connaissances"),
        titled=("cléa", "socle de connaissances et de compétences"),
    ),
)

BY_CODE: dict[str, Theme] = {theme.code: theme for theme in THEMES}


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(word for word in analyze(text) if word not in FILLERS)


@cache
def _typed_phrases() -> dict[tuple[str, ...], str]:
    """Every phrase a person may type (as stems) → its theme's code."""
    phrases: dict[tuple[str, ...], str] = {}
    for theme in THEMES:
        for text in theme.typed:
            phrase = _phrase(text)
            if phrase:
                phrases.setdefault(phrase, theme.code)
    return phrases


@dataclass(frozen=True)
class Reading:
    """What a keyword's words say: the themes named, each with the words it took; the other
    words are left for the rest of the search (job titles and text)."""

    words: tuple[str, ...]  # the keyword's words (``text.query_words``)
    themes: tuple[Theme, ...] = ()
    taken: tuple[tuple[str, ...], ...] = ()  # the words each theme took, in order of ``themes``
    # The words asking for teachers or trainers of the themes ("professeur", "formateur"): none
    # without a theme ("formateur" alone is a job title).
    teaching: tuple[str, ...] = ()

    def left_by(self, codes: Iterable[str]) -> tuple[str, ...]:
        """The words that the themes ``codes`` do not account for: all of them when the person
        chose themes the keyword did not name, none when the keyword is only those themes (and
        words asking for their teachers)."""
        codes = set(codes)
        taken = {
            word
            for theme, words in zip(self.themes, self.taken, strict=True)
            if theme.code in codes
            for word in words
        }
        if taken:
            taken.update(self.teaching)
        return tuple(word for word in self.words if word not in taken)

    def index_codes(self, codes: Iterable[str]) -> tuple[str, ...]:
        """The index tokens of the themes ``codes``: taught ("enseigner:anglais") when the
        keyword asks for teachers of the themes it named, the themes themselves otherwise."""
        codes = tuple(codes)
        named = {theme.code for theme in self.themes}
        if self.teaching and named.intersection(codes):
            return tuple(taught(code) for code in codes)
        return codes


def read(words: Sequence[str]) -> Reading:
    """The themes in a keyword's words (``text.query_words``), longest phrase first, left to
    right. Fillers ("mon", "passer") go with the theme they stand in or next to."""
    phrases = _typed_phrases()
    longest = max(len(phrase) for phrase in phrases)
    stems = [stem(word) for word in words]
    found: list[Theme] = []
    taken: list[list[str]] = []
    fillers: list[str] = []
    teaching: list[str] = []
    position = 0
    while position < len(words):
        if stems[position] in TEACHING_TYPED:
            teaching.append(words[position])
            position += 1
            continue
        if stems[position] in FILLERS:
            fillers.append(words[position])
            position += 1
            continue
        for size in range(min(longest, len(words) - position), 0, -1):
            # A phrase may skip fillers: "créer mon entreprise" is "créer entreprise".
            window, end = [], position
            while end < len(words) and len(window) < size:
                if stems[end] not in FILLERS or end == position:
                    window.append(stems[end])
                end += 1
            code = phrases.get(tuple(window)) if len(window) == size else None
            if code is not None:
                theme = BY_CODE[code]
                if theme in found:
                    taken[found.index(theme)].extend(words[position:end])
                else:
                    found.append(theme)
                    taken.append([*fillers, *words[position:end]])
                fillers = []
                position = end
                break
        else:
            position += 1
    if taken and fillers:
        taken[-1].extend(fillers)
    # A theme and its parent both named ("permis de conduire b"): the narrower one says it all.
    pairs: dict[Theme, list[str]] = {}
    for theme, words_taken in zip(found, taken, strict=True):
        child = next((other for other in found if other.parent == theme.code), None)
        pairs.setdefault(child or theme, []).extend(words_taken)
    # Each theme's words in the keyword's order (a parent's words went to its child).
    pairs = {theme: sorted(ws, key=words.index) for theme, ws in pairs.items()}
    return Reading(
        tuple(words),
        tuple(pairs),
        tuple(tuple(ws) for ws in pairs.values()),
        tuple(teaching) if pairs else (),
    )


def with_parents(codes: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for code in codes:
        while code is not None and code not in found:
            found.add(code)
            code = BY_CODE[code].parent
    return found


@dataclass(frozen=True)
class _Marks:
    """The evidence of every theme, prepared once: (theme code, stems of a title phrase) and the
    Formacode labels and certifier words."""

    titled: tuple[tuple[str, str], ...]
    topics: dict[str, tuple[str, ...]]
    certifiers: tuple[tuple[str, str], ...]
    kinds: dict[str, tuple[str, ...]]
    codes: dict[str, tuple[str, ...]]


@cache
def _marks() -> _Marks:
    titled, certifiers = [], []
    topics: dict[str, list[str]] = {}
    kinds: dict[str, list[str]] = {}
    codes: dict[str, list[str]] = {}
    for theme in THEMES:
        for text in theme.titled:
            titled.append((theme.code, " " + " ".join(analyze(text)) + " "))
        for label in theme.topics:
            topics.setdefault(fold(label), []).append(theme.code)
        for name in theme.certifiers:
            certifiers.append((theme.code, fold(name)))
        for kind in theme.kinds:
            kinds.setdefault(kind, []).append(theme.code)
        for code in theme.codes:
            codes.setdefault(code, []).append(theme.code)
    return _Marks(
        tuple(titled),
        {label: tuple(codes) for label, codes in topics.items()},
        tuple(certifiers),
        {kind: tuple(found) for kind, found in kinds.items()},
        {code: tuple(found) for code, found in codes.items()},
    )


def themes_of(
    *,
    code: str = "",
    kind: str = "",
    title: str = "",
    topics: Iterable[str] = (),
    certifiers: Iterable[str] = (),
    job_codes: Iterable[str] = (),
) -> list[str]:
    """The themes of a certification (with their parents), from what the registries say of it:
    its code, kind, title, Formacode topics, certifiers; taught ("enseigner:anglais") when it leads
    to teaching (its own title's words, the jobs it leads to, its Formacode topics of training
    trainers): not a course of its subject."""
    marks = _marks()
    found: set[str] = set(marks.kinds.get(kind, ())) | set(marks.codes.get(code, ()))
    stems = analyze(title)
    own_title = analyze(title.split(" (certificat")[0])
    padded = " " + " ".join(stems) + " "
    for code, phrase in marks.titled:
        if phrase in padded:
            found.add(code)
    topics = list(topics)
    for label in topics:
        matched = marks.topics.get(fold(" ".join(label.split())), ())
        if kind == "RNCP" and len(topics) > 1:
            # A professional title that covers a topic among others (an installer's title with
            # its electrical clearance, a security agent's with first aid at work) is not what a
            # person typing the topic comes for: the topic's own certifications are.
            matched = tuple(code for code in matched if BY_CODE[code].group != TOPIC)
        found.update(matched)
    for name in certifiers:
        folded = fold(name)
        found.update(code for code, words in marks.certifiers if words in folded)
    folded_topics = [fold(" ".join(label.split())) for label in topics]
    teaching = (
        bool(TEACHING_WORDS.intersection(own_title))
        or bool(TEACHING_JOBS.intersection(job_codes))
        or any(label.startswith(TEACHING_TOPICS) for label in folded_topics)
    )
    codes = sorted(with_parents(found))
    return [taught(code) for code in codes] if teaching else codes


def choices() -> list[tuple[str, str]]:
    """(code, label) of every theme, for a person to pick one, by group."""
    order = {KIND: 0, LANGUAGE: 1, TOPIC: 2}
    return [(theme.code, theme.label) for theme in sorted(THEMES, key=lambda t: order[t.group])]
