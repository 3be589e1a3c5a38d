"""The search: keyword tolerance, jobs, place and radius, remote trainings, filters, sorts, facets,
pagination, result cards and neutral tie-breaking."""

from __future__ import annotations

import pytest
import tantivy

from cpf.catalogue.enums import Modality
from cpf.referentials.models import Certification
from cpf.search import ranking
from cpf.search.engine import (
    SearchError,
    SearchRequest,
    _Kept,
    request_problems,
    resolve_point,
    search,
    understand,
)
from cpf.search.geo import gazetteer
from cpf.search.reader import current_index
from tests.clock import TODAY
from tests.search.fixtures import *  # noqa: F403
from tests.search.fixtures import in_days, offer

pytestmark = pytest.mark.django_db

LYON_3 = "69383"
VILLEURBANNE = "69266"
VILLEFRANCHE = "69264"  # about 30 km north of Lyon
GRENOBLE = "38185"  # about 95 km


def titles(**kwargs) -> list[str]:
    return [r.title for r in search(SearchRequest(page_size=50, **kwargs), today=TODAY).results]


@pytest.mark.parametrize(
    "typed", ["boulanger", "Boulangère", "BOULANGERS", "boulangeres", "boulanjer", "formation boulanger"]
)
def test_case_accents_plural_feminine_and_one_typo_do_not_matter(search_index, typed):
    offer(title="CAP Boulanger", certification="RNCP40920")
    offer(title="Anglais professionnel", certification="RNCP37674")
    search_index()
    assert titles(q=typed) == ["CAP Boulanger"]


def test_developpeuse_finds_developer_trainings(search_index):
    offer(title="Titre professionnel Développeur web et web mobile")
    search_index()
    assert titles(q="developpeuse") == ["Titre professionnel Développeur web et web mobile"]


def test_comptabilitee_finds_accounting(search_index):
    offer(title="Gestionnaire comptable et fiscal – comptabilité", certification="RNCP15152")
    search_index()
    assert titles(q="comptabilitée") == ["Gestionnaire comptable et fiscal – comptabilité"]


def test_the_keyword_is_associated_with_jobs_which_widen_the_search(search_index):
    # given a training whose title does not hold the keyword, whose certification leads to M1805
    offer(title="Concepteur d'applications", certification="RNCP35419")
    offer(title="Cuisinier", certification="RNCP40499")
    search_index()

    response = search(SearchRequest(q="développeur web"), today=TODAY)

    assert [(job.code, job.label) for job in response.jobs] == [("M1805", "Développeur / Développeuse web")]
    assert response.jobs_automatic
    assert [r.title for r in response.results] == ["Concepteur d'applications"]


def test_jobs_chosen_replace_the_automatic_ones(search_index):
    offer(title="Concepteur d'applications", certification="RNCP35419")
    offer(title="Tailleur de pierre", certification="RNCP38310")
    search_index()

    assert titles(q="développeur web", jobs=()) == []  # no job: only the words count
    chosen = search(SearchRequest(q="", jobs=("F1612",)), today=TODAY)
    assert [r.title for r in chosen.results] == ["Tailleur de pierre"]
    assert not chosen.jobs_automatic


def test_a_certification_code_finds_its_trainings(search_index):
    offer(title="Concepteur d'applications", certification="RNCP35419")
    offer(title="Autre formation")
    search_index()
    assert titles(q="RNCP35419") == titles(q="rncp 35419") == ["Concepteur d'applications"]


def test_a_provider_name_finds_its_trainings(search_index):
    offer(title="Boulanger", provider_name="Institut Gutenberg des métiers")
    offer(title="Cariste")
    search_index()
    assert titles(q="gutenberg") == ["Boulanger"]


def test_words_in_the_title_rank_above_words_in_the_description(search_index):
    offer(title="Logistique d'entrepôt", content="Conduite de chariot, le métier de cariste au quotidien.")
    offer(title="Cariste d'entrepôt", certification="RNCP40499")
    search_index()
    assert titles(q="cariste") == ["Cariste d'entrepôt", "Logistique d'entrepôt"]


KEYWORDS = ["cariste", "entrepot", "chariot", "cariste entrepot", "developpeur web", "RNCP40499", "gutenberg"]


def test_the_count_and_facets_find_the_offers_the_ranked_search_finds(search_index):
    """The counts match each word through the field of all keyword stems and the description;
    the ranked search, field by field: both must find the same offers."""
    offer(title="Logistique d'entrepôt", content="Conduite de chariot, le métier de cariste au quotidien.")
    offer(title="Cariste d'entrepôt", certification="RNCP40499", modality=Modality.REMOTE)
    offer(title="Concepteur d'applications", certification="RNCP35419", modality=Modality.MIXED)
    offer(title="Préparateur de commandes", provider_name="Institut Gutenberg des métiers")
    offer(title="Cuisinier", certification="RNCP40499")
    search_index()
    for keyword in KEYWORDS:
        response = search(SearchRequest(q=keyword, page_size=50), today=TODAY)
        modalities = {value.value: value.count for value in response.facets["modality"]}
        shown = [r.modality for r in response.results]
        assert response.total == len(response.results) > 0, keyword
        assert modalities == {m: shown.count(m) for m in ("in_person", "remote", "mixed")}, keyword


def test_an_index_of_the_previous_schema_is_served_until_rebuilt(search_index):
    offer(title="Logistique d'entrepôt", content="Conduite de chariot, le métier de cariste au quotidien.")
    offer(title="Cariste d'entrepôt", certification="RNCP40499")
    search_index()
    expected = {keyword: search(SearchRequest(q=keyword), today=TODAY).total for keyword in KEYWORDS}
    current_index().schema_version = 2  # built before the field of all keyword stems
    assert {keyword: search(SearchRequest(q=keyword), today=TODAY).total for keyword in KEYWORDS} == expected


def test_launch_failures_do_not_come_back(search_index):
    offer(title="Massage aux pierres chaudes", certification="RNCP37674")
    offer(title="Anglais professionnel par téléphone", content="Cours particuliers par téléphone.")
    offer(title="CAP Tailleur de pierre", certification="RNCP38310")
    search_index()
    assert titles(q="tailleuse de pierre") == ["CAP Tailleur de pierre"]
    assert "Anglais professionnel par téléphone" not in titles(q="téléphonie")


def test_around_a_place_within_the_radius_and_remote_trainings_kept_and_marked(search_index):
    offer(title="Cariste Lyon", insee=LYON_3)
    offer(title="Cariste Villeurbanne", insee=VILLEURBANNE)
    offer(title="Cariste Grenoble", insee=GRENOBLE)
    offer(title="Cariste à distance", modality=Modality.REMOTE)
    search_index()

    response = search(SearchRequest(q="cariste", place=LYON_3, radius_km=10, sort="distance"), today=TODAY)

    assert [r.title for r in response.results] == [
        "Cariste Lyon",
        "Cariste Villeurbanne",
        "Cariste à distance",
    ]
    lyon, villeurbanne, remote = response.results
    assert lyon.distance_km == 0.0
    assert 2 < villeurbanne.distance_km < 6
    assert (remote.is_remote, remote.place, remote.distance_km) == (True, None, None)
    assert "Cariste Grenoble" in titles(q="cariste", place=LYON_3, radius_km=100)


def test_a_position_instead_of_a_place(search_index):
    offer(title="Cariste Villeurbanne", insee=VILLEURBANNE)
    offer(title="Cariste Grenoble", insee=GRENOBLE)
    search_index()
    response = search(SearchRequest(q="cariste", lat=45.7665, lon=4.8795, radius_km=5), today=TODAY)
    assert [r.title for r in response.results] == ["Cariste Villeurbanne"]
    assert response.point.place is not None


def test_closer_offers_rank_first_when_equally_relevant(search_index):
    offer(title="Cariste", insee=VILLEFRANCHE)
    offer(title="Cariste", insee=LYON_3)
    search_index()
    response = search(SearchRequest(q="cariste", place=LYON_3, radius_km=50), today=TODAY)
    assert [r.place["insee_code"] for r in response.results] == [LYON_3, VILLEFRANCHE]


def test_a_keyword_around_a_place_is_one_intersection_per_side_with_the_same_scores(search_index):
    """Around a place, a keyword's match is intersected with the located offers and with the
    remote ones separately (``Place.scored(match=…)``, ``Place.filter(found)``): the same offers,
    each with the very score of the match and its closeness required together."""
    for insee, modality in (
        (LYON_3, Modality.IN_PERSON),
        (VILLEURBANNE, Modality.MIXED),
        (VILLEFRANCHE, Modality.IN_PERSON),
        (GRENOBLE, Modality.IN_PERSON),
        (None, Modality.REMOTE),
    ):
        offer(title="Cariste", insee=insee, modality=modality)
        offer(title="Magasinier", content="Le métier de cariste.", insee=insee, modality=modality)
    offer(title="Comptable", insee=LYON_3)
    search_index()
    opened = current_index()
    searcher, schema = opened.searcher(), opened.index.schema
    terms = understand(opened, "cariste")[0]
    match = ranking.scored_match(ranking.text_match(schema, terms))
    point = resolve_point(SearchRequest(place=LYON_3))
    place = ranking.Place.build(schema, *gazetteer().codes_within(point, 50))

    def hits(query):
        return sorted((address.doc, score) for score, address in searcher.search(query, 50).hits)

    def both(first, second):
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, first), (tantivy.Occur.Must, second)])

    for remote in (True, False):
        expected = hits(both(match, place.scored(remote=remote)))
        assert len(expected) == (8 if remote else 6)
        assert hits(place.scored(remote=remote, match=match)) == expected
    found = ranking.words_filter(schema, terms)
    assert (
        searcher.search(place.filter(found), 1).count
        == searcher.search(both(found, place.filter()), 1).count
        == 8
    )


def test_modalities_are_a_multiple_choice(search_index):
    offer(title="Présentiel", modality=Modality.IN_PERSON)
    offer(title="Mixte", modality=Modality.MIXED)
    offer(title="Distance", modality=Modality.REMOTE)
    search_index()
    assert sorted(titles(modalities=("mixed", "remote"))) == ["Distance", "Mixte"]


def test_a_modality_choice_keeps_the_order_and_the_scores_of_the_offers_it_keeps(search_index):
    """Without remote offers among the modalities chosen, the remote band is left out of the
    ranked query: the offers kept must score and rank exactly as without the choice."""
    for insee, modality in (
        (LYON_3, Modality.IN_PERSON),
        (VILLEURBANNE, Modality.MIXED),
        (VILLEFRANCHE, Modality.IN_PERSON),
        (None, Modality.REMOTE),
        (LYON_3, Modality.MIXED),
        (None, Modality.REMOTE),
    ):
        offer(title="Cariste", insee=insee, modality=modality, strong_points="Engins" if insee else "")
    search_index()

    def ranked(**kwargs):
        found = search(
            SearchRequest(q="cariste", place=LYON_3, radius_km=50, page_size=50, **kwargs), today=TODAY
        )
        return [(r.action_id, r.score) for r in found.results if r.modality != "remote"]

    everything = ranked()
    assert len(everything) == 4
    assert ranked(modalities=("in_person", "mixed")) == everything
    assert ranked(modalities=("remote",)) == []


def test_the_queries_of_the_last_places_searched_are_kept_the_least_recent_dropped():
    kept = _Kept(2)
    kept.put(("lyon", 30), "Lyon")
    kept.put(("grenoble", 30), "Grenoble")
    assert kept.get(("lyon", 30)) == "Lyon"  # now the most recent
    kept.put(("paris", 10), "Paris")
    assert [kept.get(key) for key in (("lyon", 30), ("grenoble", 30), ("paris", 10))] == [
        "Lyon",
        None,
        "Paris",
    ]


def test_filters_price_start_window_duration_and_level(search_index):
    offer(title="Court et bon marché", price_cents=90_000, duration_hours=35, starts=(10,))
    offer(title="Long et cher", price_cents=900_000, duration_hours=800, starts=(200,))
    offer(title="Boulanger", certification="RNCP38310", starts=(60,))
    search_index()
    level = Certification.objects.get(code="RNCP38310").level
    assert level != Certification.objects.get(code="RNCP37674").level

    assert titles(price_max_cents=100_000) == ["Court et bon marché"]
    assert titles(start_after=in_days(150)) == ["Long et cher"]
    assert titles(start_before=in_days(20)) == ["Court et bon marché"]
    assert titles(duration_max_hours=35) == ["Court et bon marché"]
    assert titles(duration_min_hours=601) == ["Long et cher"]
    assert titles(levels=(level,)) == ["Boulanger"]


def test_sort_by_price_and_by_soonest_session(search_index):
    offer(title="B", price_cents=300_000, starts=(40,))
    offer(title="A", price_cents=100_000, starts=(90,))
    offer(title="C", price_cents=200_000, starts=(10, 120))
    search_index()
    assert titles(sort="price") == ["A", "C", "B"]
    assert titles(sort="date") == ["C", "B", "A"]


def test_facets_count_what_each_choice_would_leave(search_index):
    offer(title="Cariste", modality=Modality.IN_PERSON, price_cents=90_000)
    offer(title="Cariste", modality=Modality.REMOTE, price_cents=150_000)
    offer(title="Cariste", modality=Modality.REMOTE, price_cents=600_000)
    search_index()

    response = search(SearchRequest(q="cariste", modalities=("remote",)), today=TODAY)

    modality = {v.value: v.count for v in response.facets["modality"]}
    assert modality == {"in_person": 1, "remote": 2, "mixed": 0}  # its own filter left out
    price = {v.value: v.count for v in response.facets["price"]}
    assert (price["100000"], price["200000"], price["1000000"]) == (0, 1, 2)  # remote only, cumulative
    assert response.total == 2


def test_a_place_alone_counts_the_offers_around_and_every_remote_one_after_each_commit(search_index):
    offer(title="Cariste", insee=LYON_3, price_cents=90_000)
    offer(title="Cariste", insee=VILLEURBANNE, modality=Modality.MIXED)
    offer(title="Cariste", insee=GRENOBLE)  # out of the radius
    offer(title="Cariste", modality=Modality.REMOTE, price_cents=600_000)
    search_index()

    def counts():
        response = search(SearchRequest(place=LYON_3, radius_km=10), today=TODAY)
        modality = {v.value: v.count for v in response.facets["modality"]}
        price = {v.value: v.count for v in response.facets["price"]}
        return response.total, len(response.results), modality, (price["100000"], price["1000000"])

    assert counts() == (3, 3, {"in_person": 1, "remote": 1, "mixed": 1}, (1, 3))
    offer(title="Cariste", modality=Modality.REMOTE, price_cents=50_000)
    search_index()
    assert counts() == (4, 4, {"in_person": 1, "remote": 2, "mixed": 1}, (2, 4))


def test_a_place_alone_pages_through_the_offers_nearest_and_most_complete_first(search_index):
    places = {}
    for insee in (LYON_3, LYON_3, VILLEURBANNE, VILLEURBANNE, VILLEFRANCHE, VILLEFRANCHE, None, None, None):
        modality = Modality.REMOTE if insee is None else Modality.IN_PERSON
        places[offer(title="Cariste", insee=insee, modality=modality).id] = insee
    search_index()
    whole = search(SearchRequest(place=LYON_3, radius_km=50, page_size=50), today=TODAY)
    paged = [
        r.action_id
        for page in (1, 2, 3, 4, 5)
        for r in search(
            SearchRequest(place=LYON_3, radius_km=50, page_size=2, page=page), today=TODAY
        ).results
    ]
    order = [r.action_id for r in whole.results]
    assert (whole.total, paged) == (9, order)
    lyon = max(order.index(a) for a in order if places[a] == LYON_3)
    assert lyon < min(order.index(a) for a in order if places[a] in (VILLEFRANCHE, None))
    # the offers around the place, then the remote ones, each group by decreasing points
    assert [places[a] is None for a in order] == [False] * 6 + [True] * 3
    for group in (whole.results[:6], whole.results[6:]):
        scores = [r.score for r in group]
        assert scores == sorted(scores, reverse=True)


def test_pages(search_index):
    for number in range(5):
        offer(title=f"Cariste {number}")
    search_index()
    first = search(SearchRequest(q="cariste", page_size=2), today=TODAY)
    third = search(SearchRequest(q="cariste", page_size=2, page=3), today=TODAY)
    assert (first.total, first.page_count, len(first.results), len(third.results)) == (5, 3, 2, 1)
    seen = {
        r.action_id
        for p in (1, 2, 3)
        for r in search(SearchRequest(q="cariste", page_size=2, page=p), today=TODAY).results
    }
    assert len(seen) == 5


def test_a_result_card_holds_what_the_card_shows(search_index):
    action = offer(title="Cariste", price_cents=123_400, duration_hours=70, starts=(20, 5, 50))
    search_index()
    [result] = search(SearchRequest(q="cariste"), today=TODAY).results
    assert result.training_id == action.training_id
    assert result.provider == {"id": action.training.provider_id, "name": action.training.provider.legal_name}
    assert result.certification["code"] == "RNCP37674"
    assert (result.price_cents, result.duration_hours, result.modality) == (123_400, 70, "in_person")
    assert result.place["insee_code"] == LYON_3
    assert (result.next_session.start, result.session_count) == (in_days(5), 3)


def test_equal_offers_are_not_ordered_by_provider_nor_by_creation(search_index):
    for _ in range(12):
        offer(title="Cariste")
    search_index(seed=1)
    first = [r.action_id for r in search(SearchRequest(q="cariste", page_size=12), today=TODAY).results]
    search_index(seed=2)
    second = [r.action_id for r in search(SearchRequest(q="cariste", page_size=12), today=TODAY).results]
    assert sorted(first) == sorted(second)
    assert first != sorted(first)  # not in creation order
    assert first != second  # another day, another order
    assert second == [
        r.action_id for r in search(SearchRequest(q="cariste", page_size=12), today=TODAY).results
    ]  # stable


def test_unknown_words_find_nothing_but_keep_the_jobs_empty(search_index):
    offer(title="Cariste")
    search_index()
    response = search(SearchRequest(q="zzzyyyxxx"), today=TODAY)
    assert (response.total, response.results, response.jobs) == (0, [], [])


def test_an_unknown_place_is_an_error(search_index):
    offer()
    search_index()
    with pytest.raises(SearchError) as error:
        search(SearchRequest(place="99999"), today=TODAY)
    assert error.value.field == "place"


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (SearchRequest(radius_km=7), "radius_km"),
        (SearchRequest(lat=45.0), "lon"),
        (SearchRequest(lat=95.0, lon=4.0), "lat"),
        (SearchRequest(place="75001", lat=45.0, lon=4.0), "place"),
        (SearchRequest(place="Lyon"), "place"),
        (SearchRequest(modalities=("bus",)), "modality"),
        (SearchRequest(price_max_cents=-1), "price_max_cents"),
        (SearchRequest(duration_min_hours=10, duration_max_hours=5), "duration_max_hours"),
        (SearchRequest(start_after=in_days(10), start_before=in_days(5)), "start_before"),
        (SearchRequest(levels=(9,)), "level"),
        (SearchRequest(sort="alpha"), "sort"),
        (SearchRequest(sort="distance"), "sort"),
        (SearchRequest(page=0), "page"),
        (SearchRequest(page=501, page_size=20), "page"),
        (SearchRequest(page_size=51), "page_size"),
        (SearchRequest(jobs=("Z9999",)), "job"),
        (SearchRequest(q="x" * 201), "q"),
    ],
)
def test_bad_requests_name_the_parameter_at_fault(request_, field):
    assert [f for f, _ in request_problems(request_)] == [field]


def test_an_old_code_finds_its_successor_and_a_replaced_certification_is_not_offered(search_index):
    """RNCP31114 is replaced by RNCP37674 (France Compétences 2026)."""
    offer(title="Développeur web, titre actuel", certification="RNCP37674")
    offer(title="Développeur web, ancien titre", certification="RNCP31114")
    search_index()
    assert titles(q="RNCP31114") == ["Développeur web, titre actuel"]
    assert titles(q="RNCP 37674") == ["Développeur web, titre actuel"]
    assert titles(q="developpeur web") == ["Développeur web, titre actuel"]
