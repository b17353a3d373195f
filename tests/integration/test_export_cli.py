"""``flask materials export --format imscc|html``: into a folder or a named file, what the
public sees unless ``--as`` names a user, with clear refusals; the interchange format
keeps refusing arrangements."""

from __future__ import annotations

import zipfile

import pytest
from lxml import etree

from oer_portal.arrangements.cartridge import NS
from tests.fixtures.exports import Course, build_course


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "mod": make_user("moderator", name="Mo Moderator")}


@pytest.fixture()
def course(app, people) -> Course:
    with app.app_context():
        return build_course(people["anna"].id, people["bea"].id, people["mod"].id)


@pytest.fixture()
def out(tmp_path):
    """An empty folder (``tmp_path`` holds the test database)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _export(runner, *args: str):
    return runner.invoke(args=["materials", "export", *args])


def test_a_cartridge_goes_into_a_folder_under_the_materials_name(app, runner, course,
                                                                  out):
    result = _export(runner, str(course.arrangement), str(out), "--format", "imscc",
                     "--base-url", "https://oer.example.nl/")
    assert result.exit_code == 0, result.output
    target = out / "water-in-nederland.imscc"
    assert f"Exported to {target}" in result.output
    assert [p.name for p in out.iterdir()] == [target.name]  # no temporary file left
    with zipfile.ZipFile(target) as archive:
        manifest = etree.fromstring(archive.read("imsmanifest.xml"))
        titles = [t.text for t in manifest.iter(f"{{{NS}}}title")]
        # The public's view: the draft is a placeholder.
        assert "Mijn concept" not in titles and "Material not available" in titles
        page = next(n for n in archive.namelist() if n.endswith("getijden/index.html"))
        assert b'content="https://oer.example.nl"' in archive.read(page)
        assert f"https://oer.example.nl/materials/{course.following}-getijden".encode() \
            in archive.read(page)


def test_web_pages_go_to_a_named_file_as_the_user_given(app, runner, people, course,
                                                       out):
    target = out / "water.zip"
    result = _export(runner, str(course.arrangement), str(target), "--format", "html",
                     "--as", people["anna"].email, "--base-url", "https://oer.example.nl")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as archive:
        assert "parts/008-mijn-concept.html" in archive.namelist()
        assert "index.html" in archive.namelist()


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "pdf"], "Unknown format pdf; choose from: interchange, html, imscc."),
    (["--format", "imscc", "--as", "nobody@example.org"], "No account with the e-mail"),
])
def test_wrong_options_are_refused_with_a_reason(app, runner, course, out, args,
                                                 message):
    result = _export(runner, str(course.arrangement), str(out), "--base-url",
                     "https://oer.example.nl", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert not any(out.iterdir())


def test_what_the_user_may_not_see_is_not_exported(app, runner, course, out):
    for args in ([str(course.draft), str(out)],
                 [str(course.following), str(out), "--version", "9"],
                 [str(course.arrangement), str(out / "water.pdf")]):
        result = _export(runner, *args, "--format", "imscc", "--base-url",
                         "https://oer.example.nl")
        assert result.exit_code != 0, args
        assert "may see" in result.output or "does not end in .imscc" in result.output
    assert not any(out.iterdir())


def test_the_interchange_format_still_refuses_arrangements(app, runner, course, out):
    result = _export(runner, str(course.arrangement), str(out))
    assert result.exit_code != 0
    assert "is an arrangement" in result.output and "--format imscc" in result.output
    result = _export(runner, str(course.following), str(out))
    assert result.exit_code == 0, result.output
