"""The comparison of the identity typed at sign-up with the one the operator knows: how a name is
written does not count, which name it is does."""

from __future__ import annotations

import datetime

import pytest

from cpf.holders.identity import Identity, matches, tidy

BORN = datetime.date(1985, 5, 2)
KNOWN = Identity("LE GOFF", "Jean-Pierre Loïc, Marie", BORN)


@pytest.mark.parametrize(
    ("birth_name", "first_names"),
    [
        ("LE GOFF", "Jean-Pierre"),
        ("Le Goff", "jean-pierre"),
        ("le-goff", "JEAN PIERRE"),
        ("LEGOFF", "Jeanpierre"),
        ("Le\u00a0Goff", "Jean-Pierre Loïc Marie"),
        ("LE GOFF", "Loic"),  # the first first name typed is one of the declared ones
        ("LE GOFF", "Marie Jean-Pierre"),
        ("LE GOFF", "Jean-Pierre Paul"),  # later first names typed are not checked
    ],
)
def test_the_way_a_name_is_written_does_not_count(birth_name, first_names):
    assert matches(KNOWN, Identity(birth_name, first_names, BORN))


@pytest.mark.parametrize(
    ("birth_name", "first_names", "birth_date"),
    [
        ("LE GOFF", "Jean", BORN),  # Jean is not Jean-Pierre
        ("LE GOFF", "Pierre", BORN),
        ("LE GOFF", "Paul Jean-Pierre", BORN),
        ("LE GOFF", "Mari", BORN),
        ("LE GOFF", "Marie-Jeanne", BORN),  # a compound first name is one first name
        ("LE GOFF", "Jean-Paul", BORN),
        ("LE GOF", "Jean-Pierre", BORN),
        ("GOFF", "Jean-Pierre", BORN),
        ("MARTIN", "Jean-Pierre", BORN),
        ("LE GOFF", "Jean-Pierre", datetime.date(1985, 5, 3)),
        ("LE GOFF", "", BORN),
        ("LE GOFF", "-", BORN),
    ],
)
def test_another_name_or_date_does_not_match(birth_name, first_names, birth_date):
    assert not matches(KNOWN, Identity(birth_name, first_names, birth_date))


@pytest.mark.parametrize(
    ("known", "typed"),
    [
        ("LEFÈVRE", "Lefevre"),
        ("LEFEVRE", "Lefèvre"),
        ("N'DIAYE", "Ndiaye"),
        ("MÜLLER", "muller"),
        ("ŒUVRARD", "Oeuvrard"),
    ],
)
def test_accents_ligatures_and_apostrophes_are_folded(known, typed):
    assert matches(Identity(known, "Emma", BORN), Identity(typed, "Emma", BORN))


def test_tidy_trims_and_collapses_every_kind_of_space():
    assert tidy("  Anne\u00a0\u00a0Marie\t Jeanne ") == "Anne Marie Jeanne"
