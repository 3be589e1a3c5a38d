"""Dates written in words on the pages: the first of the month is "1er", as French writes it."""

from __future__ import annotations

import datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from cpf.core.text import MONTHS
from cpf.www.templatetags.cpf_format import french_date
from tests.clock import TODAY
from tests.search.fixtures import *  # noqa: F403
from tests.search.fixtures import offer


@pytest.mark.parametrize(
    ("day", "format_string", "expected"),
    [
        (datetime.date(2027, 3, 1), "j F Y", "1er mars 2027"),
        (datetime.date(2027, 3, 2), "j F Y", "2 mars 2027"),
        (datetime.date(2027, 3, 11), "j F Y", "11 mars 2027"),
        (datetime.date(2027, 3, 21), "j F Y", "21 mars 2027"),
        (datetime.date(2027, 3, 1), "l j F Y", "lundi 1er mars 2027"),
        (datetime.date(2027, 3, 1), r"\j j", "j 1er"),  # an escaped j stays a letter
        (datetime.date(2027, 3, 1), "d/m/Y", "01/03/2027"),
    ],
)
def test_the_first_of_the_month_is_written_1er(day, format_string, expected):
    assert french_date(day, format_string) == expected


def test_a_moment_is_read_in_the_site_time_zone():
    # 23:30 UTC on the 28th of February is 00:30 on the 1st of March in Paris.
    moment = datetime.datetime(2027, 2, 28, 23, 30, tzinfo=datetime.UTC)

    assert french_date(moment, "l j F Y à H:i") == "lundi 1er mars 2027 à 00:30"
    assert timezone.get_current_timezone_name() == "Europe/Paris"


def test_the_filter_in_a_template_and_nothing_for_no_date():
    template = Template('{% load cpf_format %}du {{ start|french_date:"j F Y" }}{{ none|french_date }}')

    assert (
        template.render(Context({"start": datetime.date(2027, 1, 1), "none": None})) == "du 1er janvier 2027"
    )


@pytest.mark.django_db
def test_the_training_page_writes_a_session_starting_on_the_first_1er(client):
    # given a session starting on the first day of a month two to three months ahead
    first = (TODAY.replace(day=1) + datetime.timedelta(days=70)).replace(day=1)
    action = offer(title="Cariste d'entrepôt", certification="RNCP40499", starts=((first - TODAY).days,))

    # when anyone opens the training's page
    html = client.get(reverse("www:training", args=[action.training_id])).text

    # then the day is written "1er"
    month = MONTHS[first.month - 1]
    assert f"prochaine session le 1er {month} {first.year}" in html
    assert f" 1 {month} " not in html
