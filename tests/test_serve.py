"""`kg serve` (gunicorn) as a process on the machine: what it leaves outside its store."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from tests.served import serve


def test_two_services_run_side_by_side_and_write_nothing_in_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gunicorn >= 25.1 opens a control socket at one path per user ($HOME/.gunicorn/): kg
    turns it off, so a second service cannot take over the first one's."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    with serve(tmp_path / "a" / "store") as first, serve(tmp_path / "b" / "store") as second:
        for served in (first, second):
            with urllib.request.urlopen(served.url + "health", timeout=10) as answer:
                assert answer.status == 200
        assert list(home.iterdir()) == []
        for served in (first, second):
            assert "Control socket" not in served.log.read_text()
