"""Nobody locks an owner out by typing wrong passwords for their address (issue 16).

Failures from browsers that never logged in to the account (the attacker, or the owner's
new laptop) earn a growing, capped delay for the account; a browser that logged in to the
account before carries a signed device cookie and is judged by that device's own counter.
"""

from __future__ import annotations

from flask import Flask

from tests.conftest import PASSWORD, Client


def _hammer(client: Client, email: str, times: int = 12) -> list[int]:
    return [client.login(email, "wrong password").status_code for _ in range(times)]


def _time_passes(app: Flask, email: str) -> None:
    """The delay of ``email``'s account is over (no test waits for a clock)."""
    from oer_portal.accounts import login_throttle

    with app.test_request_context():
        login_throttle.end_delay(email)


def test_an_attackers_failures_do_not_lock_out_the_owners_known_browser(
        client, new_client, make_user):
    user = make_user("student")
    owner = new_client()
    assert owner.login(user.email).status_code == 302
    owner.logout()
    attacker = client
    statuses = _hammer(attacker, user.email)
    assert 429 in statuses
    assert owner.login(user.email).status_code == 302  # at once, right password
    assert owner.get("/account/profile").status_code == 200
    assert attacker.login(user.email, "still guessing").status_code == 429


def test_an_untrusted_client_meets_a_growing_delay_with_retry_after(app, client, make_user):
    user = make_user("student")
    free = app.config["LOGIN_FREE_FAILURES"]
    assert _hammer(client, user.email, free) == [200] * free
    refused = client.login(user.email, "wrong password")
    assert refused.status_code == 429
    first = int(refused.headers["Retry-After"])
    assert first > 0
    assert "wait" in refused.get_data(as_text=True)
    assert "reset your password" in refused.get_data(as_text=True)
    # Even the right password is not checked while the account's delay runs.
    assert client.login(user.email, PASSWORD).status_code == 429
    _time_passes(app, user.email)
    assert client.login(user.email, "wrong password").status_code == 200
    second = client.login(user.email, "wrong password")
    assert second.status_code == 429
    assert int(second.headers["Retry-After"]) > first  # it grows
    for _ in range(20):
        _time_passes(app, user.email)
        client.login(user.email, "wrong password")
    capped = client.login(user.email, "wrong password")
    assert int(capped.headers["Retry-After"]) <= app.config["LOGIN_DELAY_MAX_SECONDS"]


def test_the_owners_new_browser_waits_too_and_then_logs_in(app, client, new_client, make_user):
    user = make_user("student")
    _hammer(client, user.email)
    new_laptop = new_client()
    assert new_laptop.login(user.email).status_code == 429
    _time_passes(app, user.email)
    assert new_laptop.login(user.email).status_code == 302


def test_a_device_cookie_of_another_account_gives_no_exemption(client, new_client, make_user):
    victim, mine = make_user("student"), make_user("student")
    attacker = new_client()
    assert attacker.login(mine.email).status_code == 302  # a real cookie, for their own account
    attacker.logout()
    assert attacker.raw.get_cookie("oer_device") is not None
    _hammer(client, victim.email)
    assert attacker.login(victim.email, "guess").status_code == 429
    assert attacker.login(victim.email).status_code == 429


def test_a_forged_device_cookie_gives_no_exemption(client, new_client, make_user):
    user = make_user("student")
    owner = new_client()
    owner.login(user.email)
    owner.logout()
    genuine = owner.raw.get_cookie("oer_device").value
    _hammer(client, user.email)
    forger = new_client()
    forger.raw.set_cookie("oer_device", genuine[:-4] + ("AAAA" if genuine[-4:] != "AAAA"
                                                         else "BBBB"))
    assert forger.login(user.email).status_code == 429


def test_a_known_browser_has_its_own_generous_counter(app, client, make_user):
    user = make_user("student")
    client.login(user.email)
    client.logout()
    limit = app.config["LOGIN_DEVICE_FAILURES"]
    statuses = _hammer(client, user.email, limit)
    assert statuses == [200] * limit  # more than an untrusted client gets
    assert client.login(user.email, "wrong password").status_code == 429
    assert client.login(user.email).status_code == 429  # a stolen laptop guesses no further


def test_the_device_cookie_is_signed_httponly_and_lax(app, client, make_user):
    user = make_user("student")
    response = client.login(user.email)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("oer_device="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert user.email not in cookie and "%40" not in cookie  # no address in the cookie


def test_the_per_address_limit_still_holds(app, client, make_user):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "5 per 15 minutes"
    for n in range(5):
        assert client.login(f"nobody{n}@example.org", "guess").status_code == 200
    assert client.login("nobody9@example.org", "guess").status_code == 429


#: A process of its own: the limiter is one object per process, and a test's earlier apps
#: would have given it the storage that an app with the limiter off never makes.
LIMITER_OFF = """
import json, sys
from pathlib import Path
from tests.conftest import make_config
from oer_portal import create_app
from oer_portal.accounts import login_throttle
tmp, uri, email, password, free = sys.argv[1:6]
app = create_app(make_config(Path(tmp), uri, RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False))
client = app.test_client()
def login(secret):
    return client.post("/account/login", data={"email": email, "password": secret}).status_code
statuses = [login("wrong password") for _ in range(int(free) + 1)]
with app.test_request_context():
    login_throttle.end_delay(email)
statuses.append(login(password))
print(json.dumps(statuses))
"""


def test_with_rate_limits_turned_off_logins_work_and_the_delay_still_holds(
        app, make_user, tmp_path):
    """``RATELIMIT_ENABLED=False`` leaves the limiter without storage: the account delay
    keeps its counters in the process instead (every login answered 500 before)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    user = make_user("student")
    free = app.config["LOGIN_FREE_FAILURES"]
    answer = subprocess.run(  # our own interpreter and script
        [sys.executable, "-c", LIMITER_OFF, str(tmp_path / "off"),
         app.config["SQLALCHEMY_DATABASE_URI"], user.email, PASSWORD, str(free)],
        capture_output=True, text=True, check=False, timeout=120,
        cwd=Path(__file__).resolve().parents[2])
    assert answer.returncode == 0, answer.stderr[-3000:]
    statuses = json.loads(answer.stdout.strip().splitlines()[-1])
    assert statuses == [200] * free + [429, 302]
