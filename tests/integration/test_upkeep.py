"""The scheduled upkeep (``materials.maintenance.maintain``) also forgets what has expired:
login sessions idle past their lifetime and self-registered accounts never confirmed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from oer_portal.accounts.models import User
from oer_portal.accounts.sessions import UserSession
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials import maintenance


def test_the_upkeep_prunes_expired_sessions_and_unconfirmed_accounts(app, client, new_client,
                                                                      make_user):
    stale, fresh = make_user("teacher"), make_user("teacher")
    client.login(stale.email)
    other = new_client()
    other.login(fresh.email)
    new_client().post("/account/register", {"display_name": "Nooit Bevestigd",
                                            "email": "nooit@example.org",
                                            "password": "correct horse battery staple",
                                            "confirm": "correct horse battery staple"})
    long_ago = utcnow() - timedelta(days=60)
    with app.app_context():
        db.session.execute(update(UserSession).where(UserSession.user_id == stale.id)
                           .values(last_seen_at=long_ago))
        db.session.execute(update(User).where(User.email == "nooit@example.org")
                           .values(created_at=long_ago))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 2

    maintenance.maintain(app)

    with app.app_context():
        assert db.session.scalars(select(UserSession.user_id)).all() == [fresh.id]
        assert db.session.scalar(select(User).where(User.email == "nooit@example.org")) is None
    assert client.get("/account/profile").status_code == 302  # the pruned session is over
    assert other.get("/account/profile").status_code == 200
