"""The embedded PostgreSQL route: what lets it start again after a process was killed."""

from __future__ import annotations

import json

import pytest

from cpf.core.embedded_db import PID_LIST, repair_pid_list


@pytest.mark.parametrize("left", ["", "[12, 3", "\x00\x00"])
def test_a_list_of_clients_left_cut_by_a_killed_process_is_reset(tmp_path, left):
    (tmp_path / PID_LIST).write_text(left)
    repair_pid_list(tmp_path)
    assert json.loads((tmp_path / PID_LIST).read_text()) == []
    assert [path.name for path in tmp_path.iterdir()] == [PID_LIST]


def test_a_sound_list_or_none_is_left_as_it_is(tmp_path):
    repair_pid_list(tmp_path)
    assert not (tmp_path / PID_LIST).exists()
    (tmp_path / PID_LIST).write_text("[4242]")
    repair_pid_list(tmp_path)
    assert (tmp_path / PID_LIST).read_text() == "[4242]"
