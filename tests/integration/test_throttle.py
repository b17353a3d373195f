"""Login throttling: per account (failed attempts only) and per client address."""

from __future__ import annotations

from tests.conftest import PASSWORD


def test_rapid_failed_logins_from_an_untrusted_client_make_the_account_wait(app, client,
                                                                             make_user):
    # Issue 16: a flat "10 per 15 minutes" per account became a growing delay for clients
    # without a device cookie for the account (tests/integration/test_login_devices.py).
    user = make_user("student")
    for _ in range(app.config["LOGIN_FREE_FAILURES"]):
        assert client.login(user.email, "wrong password").status_code == 200
    throttled = client.login(user.email, "wrong password")
    assert throttled.status_code == 429
    assert "Too many failed attempts" in throttled.get_data(as_text=True)
    # Even the right password waits: that is what stops guessing.
    assert client.login(user.email, PASSWORD).status_code == 429


def test_the_account_limit_ignores_case_and_spaces_in_the_address(client, make_user):
    user = make_user("student", email="case@example.org")
    for variant in ["CASE@example.org", " case@example.org", "Case@Example.org"] * 4:
        client.login(variant, "wrong password")
    assert client.login(user.email).status_code == 429


def test_successful_logins_do_not_count_towards_the_account_limit(client, make_user):
    user = make_user("student")
    for _ in range(12):
        assert client.login(user.email).status_code == 302
        client.logout()


def test_throttling_one_account_leaves_other_accounts_alone(client, new_client, make_user):
    victim, bystander = make_user("student"), make_user("student")
    for _ in range(11):
        client.login(victim.email, "wrong password")
    assert new_client().login(bystander.email).status_code == 302


def test_one_address_trying_many_accounts_is_throttled(app, client, make_user):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "5 per 15 minutes"
    for n in range(5):
        assert client.login(f"nobody{n}@example.org", "guess").status_code == 200
    assert client.login("nobody9@example.org", "guess").status_code == 429
