"""The layers hold: read from the source with ``ast``, so a new module is checked too.

- ``materials`` is what the other features build on, so it imports none of them (they add
  to it through ``materials/hooks.py`` and ``materials/panels.py``);
- no feature imports another feature's views (or its old ``pages`` module): pages are
  composed through registries, not by calling each other's web code;
- only the web layer builds URLs with ``url_for``, and nothing below it reaches for
  Flask-Login: services are given the actor (``accounts.policy.PUBLIC`` for "anyone").
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "oer_portal"

#: What materials may build on: the foundations every feature uses.
FOUNDATIONS = frozenset({"accounts", "licences", "core", "extensions"})
#: Modules of the web layer: they read the request and build URLs (a feature may split its
#: views by concept: ``admin_views.py``, ``review_views.py``).
WEB_MODULES = frozenset({"views.py", "web.py"})


def _is_web(path: Path) -> bool:
    return path.name in WEB_MODULES or path.name.endswith("_views.py")
#: Outside the web layer, the only places that may use Flask-Login, and why: the login
#: manager itself, the user model's mixin, and request-wide infrastructure (the language
#: of the signed-in user, the audit entry of a refused request, and the page cache, which
#: keeps pages only for visitors who are not signed in).
FLASK_LOGIN_INFRASTRUCTURE = frozenset({"extensions.py", "accounts/models.py", "core/i18n.py",
                                        "core/errors.py", "core/page_cache.py"})


def _modules(folder: Path = PACKAGE) -> Iterator[Path]:
    yield from sorted(folder.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _features() -> frozenset[str]:
    return frozenset(p.name for p in PACKAGE.iterdir()
                     if p.is_dir() and (p / "__init__.py").exists()) - FOUNDATIONS


def imported_modules(path: Path) -> set[str]:
    """Every module the module at ``path`` imports."""
    package = ".".join(("oer_portal", *path.relative_to(PACKAGE).parent.parts))
    return imports_of(path.read_text(), package)


def imports_of(source: str, package: str) -> set[str]:
    """Every module ``source`` (a module of ``package``) imports, at the top or inside a
    function, as an absolute name; ``from package import name`` counts as importing
    ``package.name`` as well (``name`` may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _feature_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "oer_portal" else None


def test_the_import_reader_sees_every_kind_of_import() -> None:
    """The rules below are only as good as this reader."""
    found = imports_of("import oer_portal.search.service\n"
                       "from oer_portal.remix import views\n"
                       "from ..community.panels import rating_panel\n"
                       "def f():\n    from . import lifecycle\n", "oer_portal.materials")
    assert {"oer_portal.search.service", "oer_portal.remix.views",
            "oer_portal.community.panels", "oer_portal.materials.lifecycle"} <= found


@pytest.mark.parametrize("path", list(_modules(PACKAGE / "materials")), ids=_name)
def test_materials_imports_no_other_feature(path: Path) -> None:
    others = _features() - {"materials"}
    wrong = sorted(module for module in imported_modules(path)
                   if _feature_of(module) in others)
    assert not wrong, f"{_name(path)} imports another feature: {wrong}"


@pytest.mark.parametrize("path", [p for p in _modules() if p.parent != PACKAGE], ids=_name)
def test_no_feature_imports_another_features_views_or_pages(path: Path) -> None:
    own = path.relative_to(PACKAGE).parts[0]
    wrong = sorted(module for module in imported_modules(path)
                   if _feature_of(module) not in (None, own)
                   and (module.split(".")[-1] in {"views", "pages"}
                        or module.endswith("_views")))
    assert not wrong, f"{_name(path)} imports another feature's web code: {wrong}"


def _uses_url_for(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "url_for":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "url_for":
            return True
        if isinstance(node, ast.ImportFrom) and any(a.name == "url_for" for a in node.names):
            return True
    return False


@pytest.mark.parametrize("path", [p for p in _modules() if not _is_web(p)], ids=_name)
def test_only_the_web_layer_builds_urls(path: Path) -> None:
    assert not _uses_url_for(ast.parse(path.read_text(), str(path))), \
        f"{_name(path)} builds URLs; give it ids and let a view, web.py or a template link them"


@pytest.mark.parametrize("path", [p for p in _modules() if not _is_web(p)
                                  and _name(p) not in FLASK_LOGIN_INFRASTRUCTURE],
                         ids=_name)
def test_services_do_not_reach_for_flask_login(path: Path) -> None:
    wrong = sorted(m for m in imported_modules(path) if m.split(".")[0] == "flask_login")
    assert not wrong, f"{_name(path)} imports {wrong}; pass the actor (or policy.PUBLIC)"
