"""A pytest plugin for testing a bot that uses NonceStore: each test gets a database of its
own, and nothing of it is left afterwards.

- `nonce_db`: the path (pathlib.Path) of a SQLite database not created yet, alone in a new
  temporary directory; NonceStore (or the `nonce` CLI) creates it on first use. The
  directory is removed after the test with everything in it: the database, its `-wal` and
  `-shm`, and any lock files beside it.
- `nonce_store`: a NonceStore open on `nonce_db`, stream `default`, without a rate limit,
  whatever $NONCE_DB, $NONCE_STREAM and $NONCE_TIER say; closed after the test.

Installing the package makes both available to every pytest run (a `pytest11` entry point
named after this module); without it, `pytest -p noncestore.testing`, or
`pytest_plugins = ["noncestore.testing"]` in the root conftest.py.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:
    from .store import NonceStore

__all__ = ["nonce_db", "nonce_store"]


@pytest.fixture
def nonce_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh SQLite database location in a directory of its own, removed afterwards."""
    # Not tmp_path, which pytest keeps for a few runs; under its base all the same, so that
    # --basetemp applies. A name never given before (pytest's numbering may reuse one).
    directory = Path(tempfile.mkdtemp(prefix="nonce_db-", dir=tmp_path_factory.getbasetemp()))
    try:
        yield directory / "nonces.sqlite"
    finally:
        from ._filelocks import close_descriptors

        for entry in directory.iterdir():
            close_descriptors(str(entry))  # held for the life of the process otherwise
        shutil.rmtree(directory)


@pytest.fixture
def nonce_store(nonce_db: Path) -> Iterator["NonceStore"]:
    """A NonceStore on `nonce_db` (see the module's comment), closed afterwards."""
    from .store import DEFAULT_STREAM, NonceStore

    # An empty tier is none: a test's nonces never wait for a rate counter.
    store = NonceStore(nonce_db, stream=DEFAULT_STREAM, tier="", wait=10.0)
    try:
        yield store
    finally:
        store.close()
