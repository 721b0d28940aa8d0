"""The schema files shipped with the package, `migrations/`: the very files the Swift build
embeds (SQLite's in the folder itself, PostgreSQL's in `migrations/postgres/`), so that
Python creates the schema the CLI creates."""

from __future__ import annotations

import re
from importlib import resources
from typing import Dict, List, Tuple

from ._errors import NonceStoreError

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_FOLDERS: Dict[str, Tuple[str, ...]] = {"sqlite": ("migrations",), "postgres": ("migrations", "postgres")}


def schema_files(newest: int, backend: str = "sqlite") -> List[Tuple[int, str, str]]:
    """(version, file name, SQL) of the backend's schema files, versions 1 to `newest`."""
    folder = resources.files("noncestore")
    for part in _FOLDERS[backend]:
        folder = folder / part
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    if [version for version, _, _ in found] != list(range(1, newest + 1)):
        raise NonceStoreError("cannot_open", f"this noncestore package ships {backend} schema files "
                                             f"{[name for _, name, _ in found]}, not versions 1 to {newest}: it is "
                                             f"damaged; reinstall it")
    return found
