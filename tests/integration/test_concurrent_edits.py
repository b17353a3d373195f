"""Two processes hammering one material: a stale save never overwrites.

Each process repeatedly reads the head, waits a little (so the other may save meanwhile) and
saves an edit from that now possibly stale base.  Afterwards the chain of versions must show
that every save either started from the head it replaced, or was merged cleanly, or was
refused as a conflict — and that no successful edit's text went missing.  Two co-authors who
each add a line at the end never conflict: both additions are kept.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from oer_portal.extensions import db
from oer_portal.materials.models import MaterialVersion

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 30

SCRIPT = textwrap.dedent("""
    import json, random, sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from oer_portal import create_app
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials import service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import Material, MaterialVersion
    from tests.conftest import make_config

    name, line, user_id, material_id = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                        int(sys.argv[4]))
    app = create_app(make_config(Path({tmp!r}), {uri!r}))
    outcomes = []
    random.seed(name)
    # Both start together: each says it is ready and waits for the other (a start time agreed
    # in advance was missed when a loaded machine took longer to start a process).
    barrier = Path({tmp!r})
    (barrier / f"ready-{{name}}").touch()
    deadline = time.monotonic() + 120
    while len(list(barrier.glob("ready-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    for n in range({rounds}):
        with app.app_context():
            material = db.session.get(Material, material_id)
            head = db.session.get(MaterialVersion, material.latest_version_id)
            base_id, lines = head.id, head.body.splitlines()
            current_uow().commit()  # end the reading transaction, as a page view would
            time.sleep(random.uniform(0, 0.02))
            if line < 0:
                lines.append(f"{{name}} {{n}}")  # a line added at the end
            else:
                lines[line] = f"{{name}} {{n}}"
            try:
                fields = VersionFields(title="Hamer", body="\\n".join(lines) + "\\n")
                result = service.save_version(db.session.get(User, user_id), material_id,
                                              base_id, fields, [])
                current_uow().commit()
                outcomes.append(["merged" if result.merged else "saved", n])
            except service.EditConflict:
                current_uow().rollback()
                outcomes.append(["conflict", n])
    print(json.dumps(outcomes))
""")


def _hammer(app, tmp_path, user_id, material_id, lines: tuple[int, int]):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    script = SCRIPT.format(root=str(ROOT), tmp=str(tmp_path), uri=uri, rounds=ROUNDS)
    env = {"OER_INSTANCE_PATH": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin"}
    children = [subprocess.Popen([sys.executable, "-c", script, name, str(line), str(user_id),
                                  str(material_id)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
                for name, line in zip(("A", "B"), lines, strict=True)]
    results = {}
    for name, child in zip(("A", "B"), children, strict=True):
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        results[name] = json.loads(out)
    return results


def _chain(app, material_id):
    with app.app_context():
        return db.session.scalars(select(MaterialVersion).where(
            MaterialVersion.material_id == material_id).order_by(MaterialVersion.number)).all()


@pytest.mark.parametrize("lines", [(0, 3), (0, 0), (-1, -1)],
                         ids=["different-lines", "same-line", "both-add-at-the-end"])
def test_two_processes_hammering_one_material_never_overwrite(app, tmp_path, make_user,
                                                              make_material, lines):
    owner = make_user("teacher")
    material_id = make_material(owner, title="Hamer",
                                body="start A\nblijft\nblijft ook\nstart B\nrest\n")
    results = _hammer(app, tmp_path, owner.id, material_id, lines)
    chain = _chain(app, material_id)

    successes = sum(1 for outcomes in results.values() for kind, _n in outcomes
                    if kind in ("saved", "merged"))
    assert len(chain) == 1 + successes
    assert [v.number for v in chain] == list(range(1, len(chain) + 1))
    for previous, version in itertools.pairwise(chain):
        # Unmerged saves started from exactly the version they replaced: nothing overwritten.
        assert version.merged or version.base_version_id == previous.id
    kinds = [kind for outcomes in results.values() for kind, _n in outcomes]
    if lines == (-1, -1):
        # Additions at one place are both kept: never a conflict, every saved line is there.
        assert "conflict" not in kinds and "merged" in kinds
        final = chain[-1].body.splitlines()
        for name, outcomes in results.items():
            assert all(f"{name} {n}" in final for kind, n in outcomes)
    elif lines == (0, 0):
        assert not any(v.merged for v in chain)
        assert "conflict" in kinds  # the processes did overlap
    else:
        # Non-overlapping edits always merge: no conflicts, and both last edits survive.
        assert "conflict" not in kinds and "merged" in kinds
        last = {name: max(n for kind, n in outcomes) for name, outcomes in results.items()}
        lines = chain[-1].body.splitlines()
        assert (lines[0], lines[3]) == (f"A {last['A']}", f"B {last['B']}")
