"""The hand-written stylesheets are well formed: an unclosed brace (easy to leave behind when
sections are merged) silently swallows every rule after it."""

from __future__ import annotations

from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "static" / "css"


@pytest.mark.parametrize("sheet", sorted(STATIC.glob("*.css")), ids=lambda p: p.name)
def test_every_brace_is_closed_in_order(sheet):
    depth = 0
    text = sheet.read_text()
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("/*")[0] if "*/" not in line else line
        depth += code.count("{") - code.count("}")
        assert depth >= 0, f"{sheet.name}:{number} closes a brace never opened"
    assert depth == 0, f"{sheet.name} leaves {depth} brace(s) open"
