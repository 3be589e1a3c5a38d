"""The web pages read the clock themselves: every test of them runs at the tests' ``NOW``."""

import pytest


@pytest.fixture(autouse=True)
def pages_at_the_tests_now(frozen_clock):
    """The moment the factories' dates are meant against (``tests.clock``)."""
