"""A property of the whole portal: whatever teachers do — remix, edit, revert, pull the
original's changes, remix a remix — every version of every derived material carries a
licence the licence engine allows for the source version it adapts.

The steps go through the services with any licence at all (as a tampered form or an API call
could send); refused steps must change nothing.  The check after every step reads the
database on its own terms (``derived_from`` and the pull records), not through the code under
test.
"""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.core.errors import DomainError
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.licences import registry
from oer_portal.licences.compatibility import allowed_licences_for_adaptation
from oer_portal.materials import lifecycle, service
from oer_portal.materials.attachments import refs_of
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialKind, MaterialVersion
from oer_portal.remix import service as remixing
from oer_portal.remix import upstream
from oer_portal.remix.models import RemixPull

LICENCES = [licence.spdx for licence in registry.OFFERED] + ["CC-BY-SA-3.0", "CC-BY-NC-3.0"]

#: (operation, which material, a licence, a number) — indices are taken modulo what exists.
STEPS = st.lists(st.tuples(
    st.sampled_from(["remix", "edit", "revert", "publish", "change_original", "pull"]),
    st.integers(0, 20), st.sampled_from(LICENCES), st.integers(1, 6)),
    min_size=1, max_size=14)


def _source_of(material: Material, version: MaterialVersion) -> MaterialVersion:
    """The original's version ``version`` adapts: the last pull at or before it, else the
    version the remix was made from."""
    pulls = db.session.execute(
        select(MaterialVersion.number, RemixPull.source_version_id)
        .join(MaterialVersion, MaterialVersion.id == RemixPull.version_id)
        .where(RemixPull.material_id == material.id)).all()
    earlier = [(number, source) for number, source in pulls if number <= version.number]
    source_id = max(earlier)[1] if earlier else material.derived_from_version_id
    return db.session.get(MaterialVersion, source_id)


def _assert_every_derived_version_is_allowed() -> None:
    for material in db.session.scalars(select(Material).where(
            Material.derived_from_version_id.is_not(None))):
        for version in db.session.scalars(select(MaterialVersion).where(
                MaterialVersion.material_id == material.id)):
            source = _source_of(material, version)
            allowed = allowed_licences_for_adaptation([source.licence])
            assert allowed.allows(version.licence), (
                f"material {material.id} v{version.number} has {version.licence}; its "
                f"source {source.licence} allows {[lic.spdx for lic in allowed.allowed]}")


def _step(operation: str, material_id: int, licence: str, number: int, teacher: User,
          moderator: User) -> int | None:
    """Carry out one step; returns the id of a material it created."""
    material = db.session.get(Material, material_id)
    head = material.latest_version
    if operation == "remix":
        created = remixing.remix(teacher, material.id, None, licence, title="Remix")
        db.session.flush()
        return created.id
    if operation == "edit":
        service.save_version(teacher, material.id, head.id,
                             replace(VersionFields.of(head), licence=licence,
                                     body=head.body + "Nog een regel.\n"),
                             refs_of(head.attachments))
    elif operation == "revert":
        service.revert(teacher, material.id, 1 + number % head.number, head.id)
    elif operation == "publish":
        lifecycle.publish(material, head, moderator)
    elif operation == "change_original" and material.derived_from_version_id is None:
        saved = service.save_version(teacher, material.id, head.id,
                                     replace(VersionFields.of(head), licence=licence),
                                     refs_of(head.attachments))
        lifecycle.publish(material, saved.version, moderator)
    elif operation == "pull":
        status = upstream.status_of(material)
        if status is not None and status.has_update and status.latest is not None:
            upstream.pull(teacher, material.id, status.latest.id)
    return None


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(first_licence=st.sampled_from(LICENCES), steps=STEPS)
def test_every_version_of_every_remix_carries_a_licence_its_source_allows(
        app, make_user, first_licence, steps):
    # Hypothesis seeds the global ``random`` alike for every example, and Whoosh names its
    # segments from it: the same names again would collide in the index this test keeps.
    random.seed()
    teacher_id = make_user("teacher").id
    moderator_id = make_user("moderator").id
    with app.app_context():
        teacher, moderator = (db.session.get(User, teacher_id),
                              db.session.get(User, moderator_id))
        original = service.create_material(
            teacher, MaterialKind.LESSON,
            VersionFields(title="Origineel", body="Regel.\n", licence=first_licence))
        db.session.flush()
        lifecycle.publish(original, original.latest_version, moderator)
        current_uow().commit()
        materials = [original.id]
        for operation, pick, licence, number in steps:
            try:
                created = _step(operation, materials[pick % len(materials)], licence, number,
                                teacher, moderator)
                current_uow().commit()
            except DomainError:
                current_uow().rollback()
            else:
                materials += [created] if created is not None else []
            teacher, moderator = (db.session.get(User, teacher_id),
                                  db.session.get(User, moderator_id))
            _assert_every_derived_version_is_allowed()
