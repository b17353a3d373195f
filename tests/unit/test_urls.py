"""Redirect targets stay on this site."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oer_portal.core.urls import safe_next


@pytest.mark.parametrize("target", [
    None, "", "https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)",
    "evil.example/path", "/path\r\nSet-Cookie: x=1", "http:/evil.example",
])
def test_foreign_or_odd_targets_fall_back(target):
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/", "/account/profile", "/search?q=a%20b&page=2"])
def test_local_paths_are_kept(target):
    assert safe_next(target, "/home") == target


@given(st.text(max_size=60))
def test_whatever_comes_in_the_result_is_a_local_path(target):
    result = safe_next(target, "/home")
    assert result == "/home" or (result.startswith("/") and not result.startswith("//")
                                 and "\\" not in result[:2])
