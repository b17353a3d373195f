"""Configuration: embedded defaults, instance file, OER_* variables, production guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from oer_portal import create_app


@pytest.fixture()
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "instance"
    monkeypatch.setenv("OER_INSTANCE_PATH", str(folder))
    for name in ("OER_SECRET_KEY", "OER_ENV", "OER_SQLALCHEMY_DATABASE_URI", "OER_PORTAL_URL",
                 "OER_TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    return folder


def test_defaults_keep_everything_in_the_instance_folder(instance):
    app = create_app({"ENV": "development"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'portal.db'}"
    assert app.config["INDEX_DIR"] == str(instance / "index")
    assert app.config["STORAGE_DIR"] == str(instance / "files")
    assert app.config["BABEL_DEFAULT_LOCALE"] == "nl"
    assert app.config["SQLITE_BUSY_TIMEOUT_SECONDS"] >= 5


def test_production_refuses_to_start_without_a_real_secret_key(instance):
    with pytest.raises(RuntimeError, match="OER_SECRET_KEY"):
        create_app()
    with pytest.raises(RuntimeError, match="refuses to start"):
        create_app({"SECRET_KEY": "dev"})


def test_production_starts_with_a_secret_key_from_the_environment(instance, monkeypatch):
    monkeypatch.setenv("OER_SECRET_KEY", "k" * 64)
    monkeypatch.setenv("OER_TRUSTED_HOSTS", "oer.example.nl")
    app = create_app()
    assert app.config["ENV"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_instance_config_file_is_read_and_env_overrides_it(instance, monkeypatch):
    instance.mkdir(parents=True)
    (instance / "config.py").write_text(
        'SECRET_KEY = "' + "s" * 40 + '"\nPORTAL_URL = "https://oer.example.nl"\n'
        'MIN_PASSWORD_LENGTH = 12\nINDEX_DIR = "/srv/index"\n'
    )
    monkeypatch.setenv("OER_INDEX_DIR", "/data/index")
    app = create_app()
    assert app.config["SECRET_KEY"] == "s" * 40
    assert app.config["MIN_PASSWORD_LENGTH"] == 12
    assert app.config["INDEX_DIR"] == "/data/index"


def test_env_values_are_parsed_as_json(instance, monkeypatch):
    monkeypatch.setenv("OER_ENV", "development")
    monkeypatch.setenv("OER_MIN_PASSWORD_LENGTH", "14")
    assert create_app().config["MIN_PASSWORD_LENGTH"] == 14


def test_unknown_environment_is_refused(instance, monkeypatch):
    monkeypatch.setenv("OER_ENV", "staging")
    with pytest.raises(RuntimeError, match="OER_ENV"):
        create_app()


def test_development_mode_allows_plain_http_cookies(instance):
    app = create_app({"ENV": "development"})
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert len(app.config["SECRET_KEY"]) >= 32
