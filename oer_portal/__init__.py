"""The OER portal: a Flask application for open educational resources."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints and CLI; nothing else."""
    from oer_portal.core.web import PortalFlask

    app = PortalFlask(
        __name__,
        instance_path=os.environ.get("OER_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from oer_portal.config import load_config

    load_config(app, config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    _init_extensions(app)
    _bound_numbers(app)
    _register_blueprints(app)
    _register_panels()
    _register_listeners()
    _register_cli(app)
    _init_tasks(app)
    return app


def _init_extensions(app: Flask) -> None:
    from flask_babel import gettext
    from werkzeug.middleware.proxy_fix import ProxyFix

    from oer_portal import collections, ops, search
    from oer_portal.accounts.service import load_session_user
    from oer_portal.core import errors, i18n, logs, markdown_limits, page_cache, security, uow
    from oer_portal.core.db import configure_engine
    from oer_portal.core.types import render_migration_item
    from oer_portal.extensions import csrf, db, limiter, login_manager, migrate
    from oer_portal.materials import maintenance as storage_maintenance
    from oer_portal.notifications import mail as notification_mail

    if app.config.get("PROXY_FIX_X_FOR"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]),
                                x_proto=1)  # type: ignore[method-assign]
    logs.init_app(app)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_SECONDS"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True, render_item=render_migration_item)
    markdown_limits.init_app(app)  # before the CSRF check reads a form
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_session_user)
    login_manager.login_view = "accounts.login"
    # Flask-Login's "basic" protection only marks a session not fresh (for
    # fresh_login_required, which the portal does not use) when the visitor's address or
    # browser changed, or the session has no login: it wrote the session cookie on every
    # request of a new anonymous session, and a late answer then undid a language switch.
    # A login is guarded by its row instead (accounts/sessions.py: each can be ended).
    login_manager.session_protection = None
    login_manager.login_message_category = "info"
    i18n.init_app(app)
    login_manager.login_message = i18n.LOGIN_MESSAGE
    login_manager.localize_callback = gettext
    uow.init_app(app)
    page_cache.init_app(app)
    search.init_app(app)
    collections.init_app(app)
    storage_maintenance.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    notification_mail.init_app(app)
    ops.init_app(app)

    # Model registration (Alembic and relationships need every table known).
    from oer_portal.accounts import tokens as token_models  # noqa: F401
    from oer_portal.arrangements import models as arrangement_models  # noqa: F401
    from oer_portal.collections import models as collection_models  # noqa: F401
    from oer_portal.community import models as community_models  # noqa: F401
    from oer_portal.core import audit, outbox  # noqa: F401
    from oer_portal.lists import models as list_models  # noqa: F401
    from oer_portal.materials import models as material_models  # noqa: F401
    from oer_portal.materials import remote_images  # noqa: F401
    from oer_portal.materials import reviews as review_models  # noqa: F401
    from oer_portal.notifications import models as notification_models  # noqa: F401
    from oer_portal.privacy import models as privacy_models  # noqa: F401
    from oer_portal.proposals import models as proposal_models  # noqa: F401
    from oer_portal.remix import models as remix_models  # noqa: F401
    from oer_portal.search import followers as follower_models  # noqa: F401
    from oer_portal.tasks import models as task_models  # noqa: F401
    from oer_portal.usage import models as usage_models  # noqa: F401


def _bound_numbers(app: Flask) -> None:
    """Every ``<int:...>`` of every rule stops at the largest id a row can have (404 beyond),
    before any rule is added: the converter is looked up when a rule is bound."""
    from oer_portal.core.numbers import BoundedIntegerConverter

    app.url_map.converters["int"] = BoundedIntegerConverter


def _register_blueprints(app: Flask) -> None:
    from oer_portal import api
    from oer_portal.accounts import (
        admin_views,
        confirmation_views,
        reset_views,
        session_views,
        token_views,
        views,
    )
    from oer_portal.arrangements.cartridge_views import bp as cartridges_bp
    from oer_portal.arrangements.export_views import bp as exports_bp
    from oer_portal.arrangements.views import bp as arrangements_bp
    from oer_portal.collections.admin_views import bp as collections_admin_bp
    from oer_portal.community.review_views import bp as written_reviews_bp
    from oer_portal.community.views import bp as community_bp
    from oer_portal.lists.views import bp as lists_bp
    from oer_portal.materials.media_views import bp as media_bp
    from oer_portal.materials.views import bp as materials_bp
    from oer_portal.moderation.report_views import bp as reports_bp
    from oer_portal.moderation.views import bp as moderation_bp
    from oer_portal.notifications.views import bp as notifications_bp
    from oer_portal.oai.views import bp as oai_bp
    from oer_portal.pages.views import bp as pages_bp
    from oer_portal.privacy.views import bp as privacy_bp
    from oer_portal.proposals.views import bp as proposals_bp
    from oer_portal.remix.views import bp as remix_bp
    from oer_portal.search.views import bp as search_bp
    from oer_portal.syndication.views import bp as syndication_bp
    from oer_portal.tasks.admin_views import bp as tasks_admin_bp
    from oer_portal.usage.views import bp as usage_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(confirmation_views.bp)
    app.register_blueprint(session_views.bp)
    app.register_blueprint(reset_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(collections_admin_bp)
    app.register_blueprint(tasks_admin_bp)
    app.register_blueprint(token_views.bp)
    app.register_blueprint(materials_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(arrangements_bp)
    app.register_blueprint(exports_bp)
    # Also registers the .imscc importer of `flask materials import` (materials.importers).
    app.register_blueprint(cartridges_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(remix_bp)
    app.register_blueprint(community_bp)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(written_reviews_bp)
    app.register_blueprint(lists_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(usage_bp)
    app.register_blueprint(syndication_bp)
    api.init_app(app)
    app.register_blueprint(oai_bp)


def _register_panels() -> None:
    """Each feature's parts of the material page and the dashboard register with
    ``materials.panels`` when their module is imported (materials imports no feature)."""
    from oer_portal.arrangements import panels as arrangement_panels  # noqa: F401
    from oer_portal.community import panels as community_panels  # noqa: F401
    from oer_portal.lists import panels as list_panels  # noqa: F401
    from oer_portal.proposals import panels as proposal_panels  # noqa: F401
    from oer_portal.remix import panels as remix_panels  # noqa: F401
    from oer_portal.search import panels as search_panels  # noqa: F401
    from oer_portal.syndication import panels as syndication_panels  # noqa: F401
    from oer_portal.usage import panels as usage_panels  # noqa: F401


def _register_listeners() -> None:
    """Features that react to another's events register when imported: the remix feature
    tells the owners of remixes when their original publishes (``materials.publishing``)."""
    from oer_portal.remix import upstream_notices  # noqa: F401


def _init_tasks(app: Flask) -> None:
    """Last: with a broker, the Celery app makes a task of every job (``core.jobs``) that
    the modules imported above registered."""
    from oer_portal import tasks

    tasks.init_app(app)


def _register_cli(app: Flask) -> None:
    from oer_portal.accounts.cli import users_cli
    from oer_portal.backup.cli import backup_cli
    from oer_portal.collections.cli import collections_cli
    from oer_portal.demo import demo_cli
    from oer_portal.materials.cli import materials_cli
    from oer_portal.materials.media_cli import media_cli
    from oer_portal.materials.storage_cli import files_cli, storage_cli
    from oer_portal.search.cli import search_cli

    app.cli.add_command(search_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(materials_cli)
    app.cli.add_command(media_cli)
    app.cli.add_command(collections_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(storage_cli)
    app.cli.add_command(files_cli)
