"""Every language's catalogues are complete: each text the code marks is in them, translated, and compiled.

A new text in the code (a ``gettext`` in Python, a ``{% translate %}`` in a template, a ``gettext()`` in a
script) fails ``test_makemessages_finds_no_text_the_catalogues_lack`` until ``manage.py makemessages``
has added it and someone has translated it.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
DOMAINS = ("django", "djangojs")
# Every language but the one the code is written in.
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return self.msgctxt, self.msgid, self.msgid_plural


def po_entries(path: Path) -> list[Entry]:
    """The entries of a .po file, the header left out (a small reader: no dependency for the tests)."""
    entries: list[Entry] = []
    entry, last = Entry(), None

    def close() -> None:
        nonlocal entry, last
        if entry.msgid:  # the header is the entry with an empty msgid
            entries.append(entry)
        entry, last = Entry(), None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            close()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
        else:
            last, value = keyword, ast.literal_eval(rest)
        if last == "msgid":
            entry.msgid += value
        elif last == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + value
        elif last == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + value
        elif last and last.startswith("msgstr"):
            index = int(last[7:-1]) if last != "msgstr" else 0
            entry.msgstr[index] = entry.msgstr.get(index, "") + value
    close()
    return entries


def catalogue(language: str, domain: str, root: Path = BASE_DIR) -> Path:
    return root / "locale" / language / "LC_MESSAGES" / f"{domain}.po"


def test_every_language_has_both_catalogues():
    assert TRANSLATED, "settings.LANGUAGES names no language besides English"
    for language in TRANSLATED:
        for domain in DOMAINS:
            assert catalogue(language, domain).is_file(), f"run manage.py makemessages -l {language} -d {domain}"


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_entry_is_translated_none_fuzzy_and_its_placeholders_kept(language, domain):
    entries = po_entries(catalogue(language, domain))
    assert entries
    problems = []
    for entry in entries:
        if entry.obsolete:
            problems.append(f"obsolete (makemessages keeps none): {entry.msgid!r}")
        elif "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif not entry.msgstr or not all(entry.msgstr.values()):
            problems.append(f"untranslated: {entry.msgid!r}")
        else:
            wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
            for text in entry.msgstr.values():
                if sorted(PLACEHOLDER.findall(text)) != wanted:
                    problems.append(f"placeholders {wanted} changed in {text!r}")
    assert not problems, "\n".join(problems)


def _source_copy(target: Path) -> None:
    """The files makemessages reads (code, templates, scripts) and the catalogues, without the rest."""
    skipped = {".git", ".venv", "var", "artifacts", "bench", "docs", "node_modules", "__pycache__"}
    for folder, subfolders, files in os.walk(BASE_DIR):
        subfolders[:] = [name for name in subfolders if name not in skipped and not name.startswith(".")]
        relative = Path(folder).relative_to(BASE_DIR)
        for name in files:
            if Path(name).suffix in {".py", ".html", ".txt", ".js"} or relative.parts[:1] == ("locale",):
                destination = target / relative / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(folder) / name, destination)


def test_makemessages_finds_no_text_the_catalogues_lack(tmp_path):
    """makemessages run on a copy of the code finds exactly the texts each committed catalogue holds."""
    copy = tmp_path / "vigil"
    _source_copy(copy)
    env = {**os.environ, "PYTHONPATH": str(copy), "VIGIL_DATA_DIR": str(tmp_path / "data")}
    for language in TRANSLATED:
        for domain in DOMAINS:
            subprocess.run(
                [sys.executable, "manage.py", "makemessages", "-l", language, "-d", domain, "-v", "0"],
                cwd=copy, env=env, check=True, capture_output=True, timeout=120,
            )  # fmt: skip
            found = {entry.key for entry in po_entries(catalogue(language, domain, copy))}
            committed = {entry.key for entry in po_entries(catalogue(language, domain))}
            new, gone = sorted(found - committed, key=str), sorted(committed - found, key=str)
            assert not new, f"texts missing from {language}/{domain}.po (run makemessages, translate): {new}"
            assert not gone, f"texts no longer in the code, still in {language}/{domain}.po: {gone}"


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_the_current_one(language, domain, tmp_path):
    """Django reads the .mo: one compiled from an older .po would show old or English texts."""
    po = catalogue(language, domain)
    mo = po.with_suffix(".mo")
    assert mo.is_file(), "run manage.py compilemessages (bin/setup does)"
    fresh = tmp_path / "fresh.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", fresh, po], check=True, timeout=60)
    assert fresh.read_bytes() == mo.read_bytes(), "the .mo is older than its .po: run manage.py compilemessages"
