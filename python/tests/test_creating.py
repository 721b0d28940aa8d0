"""A machine without the `nonce` CLI: the package creates the SQLite database (from the
schema files the Swift build embeds) and a shared stream, exactly as the CLI would. (A
PostgreSQL schema: test_postgres_schema.py.)"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest
from conftest import CHILD, cli

from noncestore import NonceStore, NonceStoreError


def schema_of(path: Path) -> List[Tuple[str, str, str]]:
    connection = sqlite3.connect(str(path))
    try:
        rows = connection.execute("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name").fetchall()
        rows.append(("user_version", "", str(connection.execute("PRAGMA user_version").fetchone()[0])))
        rows.append(("journal_mode", "", connection.execute("PRAGMA journal_mode").fetchone()[0]))
        rows += [("migration", str(v), n) for v, n in connection.execute("SELECT version, name FROM schema_migrations")]
        return rows
    finally:
        connection.close()


def test_the_database_python_creates_is_the_one_the_cli_creates(tmp_path: Path) -> None:
    by_python, by_cli = tmp_path / "python.sqlite", tmp_path / "cli.sqlite"
    with NonceStore(str(by_python), stream="kraken") as store:
        nonce = store.next()
    cli("stream", "create", "kraken", "--shared", "--db", str(by_cli))
    assert schema_of(by_python) == schema_of(by_cli)
    assert oct(by_python.stat().st_mode & 0o777) == "0o600"
    assert not [name for name in os.listdir(tmp_path) if ".creating-" in name]
    cli("verify", "--db", str(by_python))
    assert int(cli("next", "--stream", "kraken", "--db", str(by_python)).stdout) > nonce


def test_processes_creating_one_database_at_once_end_with_one(tmp_path: Path) -> None:
    path = str(tmp_path / "nonces.sqlite")
    children = [subprocess.Popen([sys.executable, str(CHILD), path, "kraken", "issue", "20"], text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    nonces = []
    for process in children:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        nonces += [int(line) for line in out.split()]
    assert len(set(nonces)) == 80
    assert not [n for n in os.listdir(tmp_path) if ".creating-" in n]
    with NonceStore(path, stream="kraken") as store:
        assert store.stats().issued_total == 80
    cli("verify", "--db", path)


def test_a_read_only_directory_is_named_and_left_empty(tmp_path: Path) -> None:
    """Tried by a process that cannot write the directory (as `nobody` when the tests run as
    root, who can write anywhere)."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o755)
    tmp_path.chmod(0o755)
    if os.geteuid() != 0:
        locked.chmod(0o555)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            try:
                NonceStore(str(locked / "nonces.sqlite"), stream="kraken")
                os.write(writer, b"created")
            except NonceStoreError as error:
                os.write(writer, str(error).encode())
        finally:
            os._exit(0)
    os.close(writer)
    answer = os.read(reader, 1000).decode()
    os.close(reader)
    os.waitpid(pid, 0)
    assert "cannot create the database" in answer and "not writable" in answer, answer
    assert os.listdir(locked) == []


def test_history_of_a_deleted_stream_is_not_adopted_silently(tmp_path: Path) -> None:
    path = str(tmp_path / "nonces.sqlite")
    with NonceStore(path, stream="old") as store:
        top = store.next()
    connection = sqlite3.connect(path)
    # A row lost by hand (the schema's trigger refuses deleting a stream with history).
    connection.execute("DROP TRIGGER streams_keep_history")
    connection.execute("DELETE FROM streams WHERE name = 'old'")
    connection.commit()
    connection.close()
    with pytest.raises(NonceStoreError, match=f"history of a deleted stream \\(up to nonce {top}\\)") as refused:
        NonceStore(path, stream="new")
    # The remedy the message names, word for word.
    remedy = str(refused.value).split("Create it above them with '")[1]
    first, second = remedy.split("' (it adopts that history), then '")
    cli(*first.split()[1:])
    cli(*second.rstrip("'").split()[1:], "--db", path)
    with NonceStore(path, stream="new") as store:
        assert store.next() > top


def test_the_schema_files_must_all_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema file that swallows what follows it (an unterminated comment) is an error, not
    a database one version short."""
    from noncestore import _create

    real = _create.schema_files

    def damaged(newest: int) -> List[Tuple[int, str, str]]:
        files = real(newest)
        version, name, sql = files[-1]
        return files[:-1] + [(version, name, sql + "\n/* unterminated")]

    monkeypatch.setattr(_create, "schema_files", damaged)
    path = tmp_path / "nonces.sqlite"
    with pytest.raises(NonceStoreError, match="did not apply"):
        NonceStore(str(path), stream="kraken")
    assert os.listdir(tmp_path) == []


def test_a_dangling_symbolic_link_is_named(tmp_path: Path) -> None:
    link = tmp_path / "nonces.sqlite"
    link.symlink_to(tmp_path / "gone" / "nonces.sqlite")
    with pytest.raises(NonceStoreError, match="symbolic link to a missing file"):
        NonceStore(str(link), stream="kraken")
    assert os.listdir(tmp_path) == ["nonces.sqlite"]

