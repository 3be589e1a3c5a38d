import pytest

from tests.holders.fixtures import *  # noqa: F403


@pytest.fixture(autouse=True)
def endpoints_at_the_tests_now(frozen_clock):
    """The API reads the clock itself: every test of it runs at the tests' ``NOW``, the moment
    the factories' dates are meant against (``tests.clock``)."""
