"""Numbers no row can have never break a page: every route of the app, walked with ids,
version numbers, page numbers and form ids beyond what the database holds (issue 16).

The walker takes the rules from ``app.url_map``, so a route added later is walked too. Each
number a rule takes in its path is made huge in turn (the others name real rows, so the view
gets as far as it can), each number a page reads from its query and each number a form posts
likewise. Numbers beyond ``MAX_ID`` name nothing: 404 for addresses and query ids, a form
error (400 or the form again) for posted ones; never a 500. 2**31 is what PostgreSQL's
``integer`` columns refuse; 2**63 and 10**20 what SQLite (and ``bigint``) refuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter, Rule

from tests.conftest import Client

HUGE = (2**31, 2**63, 10**20)

#: Numbers pages read from their query string (``request.args``, the moderation queue's and
#: the audit log's filters, the API's parameters).
QUERY_NUMBERS = ("page", "per_page", "from", "to", "v", "version", "waiting", "actor",
                 "material", "user", "up_to")

#: Numbers forms post (hidden version ids, list and record ids, the builder's nodes).
FORM_NUMBERS = ("base_version_id", "material_id", "list_id", "record_id", "remove", "up_to",
                "version", "version_id", "source_version_id", "ours_version_id",
                "theirs_version_id", "parent_id", "user_id", "report_id", "nodes",
                "node-0-material", "node-0-pin", "node-0-record", "node-0-depth", "stars",
                "lifetime", "duration_minutes", "age_min", "age_max", "position")

#: Numbers inside other form values: the arrangement builder's buttons and its "find a
#: material" box (a number or an address); 12 digits pass its patterns, not PostgreSQL.
FORM_TEXTS = {"action": f"include-{10**11}", "find_query": f"/materials/{10**11}"}
FORM_TEXT_VARIANTS = ({"action": f"include-record-{10**11}"}, {"find_query": str(10**11)},
                      {"action": "find", "find_query": str(2**31)})

#: Rules the walker leaves alone: logging out would end the walk's session.
SKIPPED = {"/account/logout"}


class Walker:
    """One logged-in browser that requests addresses and remembers every 500."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.token = client.csrf_token()
        self.failures: list[str] = []

    def get(self, path: str, query: dict[str, Any] | None = None) -> int:
        response = self.client.raw.get(path, query_string=query or {}, buffered=True)
        return self._check("GET", path, query, response.status_code)

    def post(self, path: str, form: dict[str, Any] | None = None) -> int:
        response = self.client.raw.post(path, data={"csrf_token": self.token, **(form or {})},
                                        buffered=True)
        return self._check("POST", path, form, response.status_code)

    def _check(self, method: str, path: str, values: dict[str, Any] | None,
               status: int) -> int:
        if status >= 500:
            self.failures.append(f"{status} {method} {path} {values or ''}")
        return status


@pytest.fixture()
def portal(app: Flask, client: Client, new_client: Any, make_user: Any,
           make_material: Any) -> Iterator[dict[str, Any]]:
    """A published lesson (so real ids exist beside the huge ones), an admin-moderator
    and its owner, both logged in. Errors become 500 answers (not raised into the test) so
    the walk lists every route that fails."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    admin = make_user("admin", "moderator", "teacher")
    teacher = make_user("teacher")
    material_id = make_material(teacher, title="Grote getallen", publish_by=admin)
    browsers = {}
    for name, user in (("admin", admin), ("teacher", teacher)):
        browser = client if name == "admin" else new_client()
        browser.login(user.email)
        browsers[name] = browser
    with app.app_context():
        from oer_portal.extensions import db
        from oer_portal.materials.models import Material

        version_id = db.session.get(Material, material_id).latest_version_id
    yield {"browsers": browsers, "material_id": material_id, "version_id": version_id,
           "user_id": teacher.id}


def _harmless(rule: Rule, name: str, real: dict[str, int]) -> Any:
    converter = rule._converters[name]
    if isinstance(converter, IntegerConverter):
        return real.get(name, 1)
    if isinstance(converter, AnyConverter):
        return converter.regex.removeprefix("(?:").split("|")[0].replace("\\", "")
    if isinstance(converter, PathConverter):
        return "x.pdf"
    return "x"


def _rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if rule.rule not in SKIPPED and not rule.rule.startswith("/static")]


def _methods(rule: Rule) -> list[str]:
    return [method for method in ("GET", "POST") if method in (rule.methods or ())]


def _path(rule: Rule, values: dict[str, Any]) -> str:
    """The rule's address with ``values``, built by hand: building through the map would
    refuse a number beyond the converter's bound, which is the point of asking."""
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<{_spelling(rule, name)}>", str(values[name]))
    return path


def _spelling(rule: Rule, name: str) -> str:
    for converter, arguments, variable in _parts(rule.rule):
        if variable == name:
            return f"{converter}{arguments}:{variable}" if converter else variable
    raise AssertionError(name)


def _parts(rule: str) -> Iterator[tuple[str, str, str]]:
    from werkzeug.routing.rules import _part_re  # type: ignore[attr-defined]

    for match in _part_re.finditer(rule):
        if match.group("variable"):
            yield match.group("converter") or "", (f"({match.group('arguments')})"
                                                  if match.group("arguments") else ""), \
                match.group("variable")


def _browser(portal: dict[str, Any], role: str) -> Walker:
    return Walker(portal["browsers"][role])


def _real(portal: dict[str, Any]) -> dict[str, int]:
    return {"material_id": portal["material_id"], "number": 1, "user_id": portal["user_id"]}


@pytest.mark.parametrize("role", ["admin", "teacher"])
def test_no_path_number_breaks_a_route(app: Flask, portal: dict[str, Any], role: str) -> None:
    walker = _browser(portal, role)
    real = _real(portal)
    walked = 0
    for rule in _rules(app):
        numbers = [name for name in rule.arguments
                   if isinstance(rule._converters[name], IntegerConverter)]
        for name in numbers:
            for huge in HUGE:
                values = {n: _harmless(rule, n, real) for n in rule.arguments}
                values[name] = huge
                path = _path(rule, values)
                for method in _methods(rule):
                    status = getattr(walker, method.lower())(path)
                    walked += 1
                    # 405: the rule is split by method (a GET and a POST rule of one
                    # address) and Werkzeug matches the other's pattern before converting.
                    if status not in (404, 405) and status < 500:
                        # Not a 500, but still not "no such thing".
                        walker.failures.append(f"{status} {method} {path}")
    assert walked > 100
    assert not walker.failures, "\n".join(walker.failures)


@pytest.mark.parametrize("role", ["admin", "teacher"])
def test_no_query_number_breaks_a_page(app: Flask, portal: dict[str, Any], role: str) -> None:
    walker = _browser(portal, role)
    real = _real(portal)
    for rule in _rules(app):
        if "GET" not in (rule.methods or ()):
            continue
        path = _path(rule, {n: _harmless(rule, n, real) for n in rule.arguments})
        for huge in HUGE:
            walker.get(path, {name: huge for name in QUERY_NUMBERS})
        for name in QUERY_NUMBERS:
            # One at a time too: the others valid, so a page reads this one.
            walker.get(path, {"from": 1, "to": 1, "v": 1, name: 2**63})
    assert not walker.failures, "\n".join(walker.failures)


@pytest.mark.parametrize("role", ["admin", "teacher"])
def test_no_form_number_breaks_a_form(app: Flask, portal: dict[str, Any], role: str) -> None:
    walker = _browser(portal, role)
    real = _real(portal)
    valid = {name: portal["version_id"] for name in FORM_NUMBERS if "version" in name}
    valid.update(material_id=portal["material_id"], user_id=portal["user_id"], nodes=1)
    for rule in _rules(app):
        if "POST" not in (rule.methods or ()):
            continue
        path = _path(rule, {n: _harmless(rule, n, real) for n in rule.arguments})
        for huge in HUGE:
            walker.post(path, {**{name: huge for name in FORM_NUMBERS}, **FORM_TEXTS})
        for texts in FORM_TEXT_VARIANTS:
            walker.post(path, {**valid, **texts})
        for name in FORM_NUMBERS:
            walker.post(path, {**valid, name: 2**63})
    assert not walker.failures, "\n".join(walker.failures)


def test_a_huge_form_id_is_a_form_error_with_a_reason(portal: dict[str, Any]) -> None:
    """The edit form with a base version no row can have: 400 that says why."""
    client = portal["browsers"]["teacher"]
    material_id = portal["material_id"]
    for huge in HUGE:
        response = client.post(f"/materials/{material_id}/edit",
                               {"title": "Grote getallen", "body": "Regel twee\n",
                                "base_version_id": str(huge)})
        assert response.status_code == 400
        assert "This edit started from an unknown version." in response.get_data(as_text=True)


def test_a_huge_id_in_the_address_or_query_is_404(portal: dict[str, Any]) -> None:
    client = portal["browsers"]["admin"]
    material_id = portal["material_id"]
    for path in (f"/materials/{10**20}", f"/materials/{2**63}/history",
                 f"/materials/{2**31}/v/1", f"/api/v1/materials/{2**63}",
                 f"/lists/{10**20}", f"/materials/{'9' * 5000}",
                 f"/materials/{material_id}/history?page={2**63}",
                 f"/materials/{material_id}/diff?from={2**31}&to=1",
                 f"/materials/{material_id}/diff?from=1&to={10**20}",
                 f"/materials/{material_id}/attachments/x.pdf?v={2**63}",
                 f"/my/notifications?page={2**31}", f"/admin/users?page={2**63}"):
        assert client.get(path).status_code == 404, path
    # The real ones still answer, and so do the largest numbers a row can have (nothing).
    assert client.get(f"/materials/{material_id}/history?page=1").status_code == 200
    assert client.get(f"/materials/{2**31 - 1}").status_code == 404
    assert client.get(f"/materials/{material_id}/diff?from=1&to=1").status_code == 200
