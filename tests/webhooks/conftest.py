from tests.holders.fixtures import *  # noqa: F403
