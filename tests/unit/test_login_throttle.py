"""The pieces of issue 16's login protection that need no database: the device label and
the growing delay."""

from __future__ import annotations

import pytest
from flask import Flask

from oer_portal.accounts.user_agents import describe


@pytest.mark.parametrize(("agent", "expected"), [
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
     ("Firefox", "Linux")),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", ("Edge", "Windows")),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Safari/605.1.15", ("Safari", "macOS")),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Mobile Safari/537.36", ("Chrome", "Android")),
    ("curl/8.5.0", (None, None)),
    (None, (None, None)),
])
def test_the_device_label_is_browser_and_system_only(agent, expected):
    assert describe(agent) == expected


def test_the_delay_doubles_from_the_first_paid_failure_and_is_capped():
    from oer_portal.accounts.login_throttle import delay_after

    app = Flask(__name__)
    app.config.update(LOGIN_FREE_FAILURES=5, LOGIN_DELAY_SECONDS=30,
                      LOGIN_DELAY_MAX_SECONDS=900)
    with app.app_context():
        assert [delay_after(n) for n in range(4, 11)] == [0, 30, 60, 120, 240, 480, 900]
        assert delay_after(10_000) == 900
