"""Every UI string has a Thai and a Japanese translation."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from kg.config import PROJECT_ROOT

WEB = PROJECT_ROOT / "src" / "kg" / "web"
METHODS = [
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
]


def used_messages() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(WEB), METHODS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("lang", ["th", "ja"])
def test_every_ui_string_is_translated(lang: str) -> None:
    path = WEB / "translations" / lang / "LC_MESSAGES" / "messages.po"
    with Path(path).open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id and m.string
    }
    used = used_messages()
    assert len(used) > 30
    assert sorted(used - translated) == []
