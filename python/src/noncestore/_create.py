"""Creating what a Python bot needs on a machine without the `nonce` CLI: a NonceStore
SQLite database (the schema files the Swift build embeds, shipped in the package as
`migrations/`) and a shared stream in it.

A database is built complete under a temporary name beside the target and linked into
place only if nothing is there (as the Swift side renames with RENAME_NOREPLACE), then the
directory is synced: no process ever sees a half-made database, and two processes creating
it at once end with one.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import sqlite3
import time

from ._errors import NonceStoreError
from ._schema_files import schema_files

# The bookkeeping table, in the very words of the Swift migrator (Migrator.swift), so that
# the two make the same schema.
_MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
)"""
# A database in write-ahead-log mode trims its log back to this after checkpoints (as Swift).
_WAL_SIZE_LIMIT = 16 << 20


def _rename_without_replacing(source: str, target: str) -> None:
    """renameat2(RENAME_NOREPLACE): atomic, and the file never has two names (a database
    with two links is refused, so link-then-unlink would fail a process opening it between)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "renameat2"):
        raise OSError(errno.ENOSYS, "this C library has no renameat2 (glibc 2.28 or later is needed)")
    at_fdcwd, rename_noreplace = -100, 1
    if libc.renameat2(at_fdcwd, os.fsencode(source), at_fdcwd, os.fsencode(target), rename_noreplace) != 0:
        code = ctypes.get_errno()
        raise FileExistsError(code, os.strerror(code)) if code == errno.EEXIST else OSError(code, os.strerror(code))


def remove_leftover_creations(directory: str, name: str) -> None:
    """Removes what a creation killed before its rename left, as the Swift side does:
    `.NAME.creating-PID-TOKEN` and its `-wal`, `-shm` and `-journal`, of processes that no
    longer exist. Never a live creator's, and never anything but these temporary names."""
    pattern = re.compile(re.escape(f".{name}.creating-") + r"([0-9]+)-[0-9A-Za-z]+(-wal|-shm|-journal)?")
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match is None or int(match.group(1)) <= 0:
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            try:
                os.unlink(os.path.join(directory, entry))
            except OSError:
                pass
        except OSError:
            pass  # alive, owned by another user


def create_database(path: str, newest: int) -> None:
    """Creates a NonceStore database at `path` unless a file is there already."""
    directory = os.path.dirname(os.path.abspath(path))
    remove_leftover_creations(directory, os.path.basename(path))
    temporary = os.path.join(directory, f".{os.path.basename(path)}.creating-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as error:
        reason = ("its directory is not writable" if error.errno in (errno.EACCES, errno.EROFS, errno.EPERM)
                  else error.strerror)
        raise NonceStoreError("cannot_open", f"cannot create the database '{path}': {reason}") from error
    os.close(fd)
    try:
        connection = sqlite3.connect(temporary, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute(f"PRAGMA journal_size_limit = {_WAL_SIZE_LIMIT}")
            for version, name, sql in schema_files(newest):
                # One script per file, in one transaction (executescript commits before it runs).
                connection.executescript(
                    f"BEGIN IMMEDIATE;\n{_MIGRATIONS_TABLE};\n{sql}\n;\n"
                    f"INSERT INTO schema_migrations (version, name, applied_at) VALUES ({version}, '{name}', "
                    f"{time.time_ns()});\n"
                    f"PRAGMA user_version = {version};\n"
                    "COMMIT;")
                # A file that swallowed the lines after it (an unterminated comment) must not
                # leave a database one version short, silently.
                reached = connection.execute("PRAGMA user_version").fetchone()[0]
                if connection.in_transaction or reached != version:
                    raise NonceStoreError("cannot_open", f"cannot create the database '{path}': schema file {name} did "
                                                         f"not apply (version {reached} instead of {version}); the "
                                                         f"package is damaged")
            # Everything into the file itself before it gets its name: a log left beside the
            # temporary name would be lost with it.
            busy, logged, copied = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy or logged != copied:
                raise NonceStoreError("cannot_open", f"cannot create the database '{path}': its new log could not be "
                                                     f"written back")
        finally:
            connection.close()
        if os.path.exists(temporary + "-wal") and os.path.getsize(temporary + "-wal") > 0:
            raise NonceStoreError("cannot_open", f"cannot create the database '{path}': its new log could not be "
                                                 f"written back")
        try:
            _rename_without_replacing(temporary, path)  # another process may have made it first
        except FileExistsError:
            if not os.path.exists(path):
                raise NonceStoreError("cannot_open", f"cannot create the database '{path}': it is a symbolic link "
                                                     f"to a missing file") from None
            return
        except OSError as error:
            raise NonceStoreError("cannot_open", f"cannot create the database '{path}': {error.strerror}") from error
        try:  # the name itself, durable; as on the Swift side, a failure here is not fatal
            directory_fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fsync(directory_fd)
            finally:
                os.close(directory_fd)
        except OSError:
            pass
    except sqlite3.Error as error:
        raise NonceStoreError("cannot_open", f"cannot create the database '{path}': {error}") from error
    finally:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(temporary + suffix)
            except FileNotFoundError:
                pass
