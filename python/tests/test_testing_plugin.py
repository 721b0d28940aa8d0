"""`noncestore.testing`, the pytest plugin a bot's tests use, run in an inner pytest as a
bot's suite would load it (`-p`, the installed entry point, a conftest, or two of these at
once): its fixtures work, ignore the environment's NonceStore variables, and leave no file
behind, even after a failing test."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List

import pytest
from conftest import nonce_bin

# The bot's tests. Each records the directory its database lived in, so the outer test can
# check it is gone.
INNER = '''
import json
import os
import os
import subprocess
from pathlib import Path

from noncestore import NonceStore


def record(nonce_db):
    with open("directories.jsonl", "a") as journal:
        journal.write(json.dumps(str(nonce_db.parent)) + "\\n")


def test_the_database_is_fresh_and_alone(nonce_db):
    record(nonce_db)
    assert not nonce_db.exists() and os.listdir(nonce_db.parent) == []


def test_the_store_issues_on_it_alone(nonce_store, nonce_db):
    record(nonce_db)
    first = nonce_store.next()
    with nonce_store.api_lock(timeout=5):
        assert nonce_store.next() > first
    assert (Path(nonce_store.location), nonce_store.stream, nonce_store.rate_limit) == (nonce_db, "default", None)
    assert sorted(os.listdir(nonce_db.parent)) == ["nonces.sqlite", "nonces.sqlite-shm", "nonces.sqlite-wal"]


def test_the_cli_and_another_store_share_its_stream(nonce_store, nonce_db):
    record(nonce_db)
    with NonceStore(nonce_db, stream="default") as other:
        mine = nonce_store.next()
        assert other.next() > mine
    swift = subprocess.run([NONCE_BIN, "next", "--db", str(nonce_db), "--stream", "default"],
                           capture_output=True, text=True, check=True)
    assert int(swift.stdout) > mine
    (nonce_db.parent / "nonces.sqlite-locks.1").write_text("a lock file beside it")


def test_a_failing_test_leaves_nothing_either(nonce_store, nonce_db):
    record(nonce_db)
    nonce_store.next()
    assert False, "failing on purpose"
'''


@pytest.fixture
def bot_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The inner suite, in an environment that names another database, stream and tier."""
    pytester.makepyfile(test_bot=f"NONCE_BIN = {nonce_bin()!r}\n" + INNER)
    monkeypatch.setenv("NONCE_DB", str(pytester.path / "elsewhere.sqlite"))
    monkeypatch.setenv("NONCE_STREAM", "elsewhere")
    monkeypatch.setenv("NONCE_TIER", "starter")
    return pytester


def directories(pytester: pytest.Pytester) -> List[Path]:
    lines = (pytester.path / "directories.jsonl").read_text().splitlines()
    return [Path(json.loads(line)) for line in lines]


def assert_ran_and_left_nothing(pytester: pytest.Pytester, result: pytest.RunResult) -> None:
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*failing on purpose*"])
    used = directories(pytester)
    assert len(used) == len(set(used)) == 4
    assert [path for path in used if path.exists()] == []
    assert not (pytester.path / "elsewhere.sqlite").exists()


def test_loaded_with_p_alone(bot_suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert_ran_and_left_nothing(bot_suite, bot_suite.runpytest("-p", "noncestore.testing"))


def test_without_the_plugin_the_fixtures_are_unknown(bot_suite: pytest.Pytester,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = bot_suite.runpytest()
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines(["*fixture 'nonce_db' not found*"])


def test_loaded_by_the_installed_entry_point(bot_suite: pytest.Pytester) -> None:
    from importlib.metadata import entry_points

    every = entry_points()
    plugins = every.select(group="pytest11") if hasattr(every, "select") else every.get("pytest11", [])  # 3.9
    assert {entry.value for entry in plugins if entry.name == "noncestore.testing"} == {"noncestore.testing"}
    assert_ran_and_left_nothing(bot_suite, bot_suite.runpytest())


def test_loaded_by_the_entry_point_and_p_or_a_conftest_at_once(bot_suite: pytest.Pytester) -> None:
    """Loaded twice under two names, pytest would refuse to start."""
    assert_ran_and_left_nothing(bot_suite, bot_suite.runpytest("-p", "noncestore.testing"))
    (bot_suite.path / "directories.jsonl").unlink()
    bot_suite.makeconftest('pytest_plugins = ["noncestore.testing"]')
    assert_ran_and_left_nothing(bot_suite, bot_suite.runpytest())


def test_a_long_suite_does_not_pile_up_descriptors(pytester: pytest.Pytester) -> None:
    """Each store leaves descriptors of its file open for as long as the process lives (closing
    one would drop SQLite's locks): the plugin closes them with the database, else a suite of
    a few hundred tests would run out of them. In a pytest process of its own (an inner run
    in this one would import the package's modules afresh each time)."""
    pytester.makepyfile(test_many='''
import os
import pytest

OPEN = []


def test_first():
    OPEN.append(len(os.listdir("/proc/self/fd")))


@pytest.mark.parametrize("n", range(40))
def test_issue(nonce_store, n):
    with nonce_store.api_lock(timeout=5):
        nonce_store.next()


def test_last():
    assert len(os.listdir("/proc/self/fd")) - OPEN[0] < 10
''')
    pytester.runpytest_subprocess("-p", "noncestore.testing").assert_outcomes(passed=42)
