"""Translation catalogs: extract, update, compile and check, without the pybabel CLI.

Message ids are English; ``nl`` is the first language of the interface and ``en`` repeats the
ids.  ``python -m oer_portal.core.catalogs update`` re-extracts and merges both catalogs (new
English entries get their id as translation; new Dutch entries stay empty until translated),
``compile`` writes the ``.mo`` files, ``check`` lists what is untranslated and fails if any.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "oer_portal" / "translations"
LOCALES = ("nl", "en")
SOURCE_LOCALE = "en"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
METHOD_MAP = [
    ("oer_portal/**.py", "python"),
    ("templates/**.html", "jinja2"),
]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.do"}}


def extract() -> Catalog:
    """Every translatable string in the code and templates, as a fresh template catalog."""
    catalog = Catalog(project="oer-portal", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map=METHOD_MAP, options_map=OPTIONS, keywords=KEYWORDS,
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def save(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, include_previous=False,
                 include_lineno=False)


def update() -> None:
    template = extract()
    for locale in LOCALES:
        path = po_path(locale)
        catalog = load(locale) if path.exists() else Catalog(locale=locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False
        catalog.project, catalog.version = "oer-portal", "0.1"
        if locale == SOURCE_LOCALE:
            for message in catalog:
                if message.id and not _translated(message.string):
                    message.string = message.id
        save(catalog, path)


def compile_all() -> None:
    for locale in LOCALES:
        catalog = load(locale)
        with po_path(locale).with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)


def _translated(string: str | tuple[str, ...] | None) -> bool:
    if isinstance(string, tuple):
        return all(string)
    return bool(string)


def untranslated(locale: str) -> Iterator[str]:
    """Message ids in the code that ``locale`` lacks, leaves empty, or marks fuzzy."""
    catalog = load(locale)
    for message in extract():
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        if found is None or found.fuzzy or not _translated(found.string):
            yield message.id if isinstance(message.id, str) else message.id[0]


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        missing = {locale: list(untranslated(locale)) for locale in LOCALES}
        for locale, ids in missing.items():
            for message_id in ids:
                print(f"{locale}: untranslated: {message_id!r}")
        return 1 if any(missing.values()) else 0
    else:
        print("usage: python -m oer_portal.core.catalogs [update|compile|check]")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
