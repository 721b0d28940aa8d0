"""One stream, two languages: the Swift CLI's `nonce exec` and Python take the same API
lock, and their nonces form one sequence, in the stream's unit."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from conftest import Database, cli, nonce_bin, skip_unless_the_cli_knows_stream_units

from noncestore import NonceStore, NonceStoreTimeout


def test_the_cli_holding_the_lock_keeps_python_out(database: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    marker, release, done = tmp_path / "inside", tmp_path / "release", tmp_path / "done"
    command = f"echo $NONCE > {marker}; while [ ! -e {release} ]; do sleep 0.05; done; touch {done}"
    exec_ = subprocess.Popen([nonce_bin(), "exec", "--stream", database.stream, "--db", database.location, "--",
                              "sh", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (marker.exists() and marker.read_text().strip()):
        assert time.monotonic() < deadline and exec_.poll() is None, exec_.stderr.read() if exec_.stderr else ""
        time.sleep(0.01)
    swift_nonce = int(marker.read_text())
    with NonceStore(database.location, stream=database.stream) as store:
        with pytest.raises(NonceStoreTimeout):
            with store.api_lock(timeout=0.3):
                pass
        release.touch()
        with store.api_lock(timeout=30):
            assert done.exists()  # only once the command has finished
            assert store.next() > swift_nonce
    assert exec_.wait() == 0


def test_python_holding_the_lock_keeps_the_cli_out(database: Database) -> None:
    with NonceStore(database.location, stream=database.stream) as store:
        with store.api_lock():
            inside = store.next()
            refused = cli("exec", "--stream", database.stream, "--db", database.location, "--timeout", "0.3s",
                          "--", sys.executable, "-c", "pass", check=False)
            assert refused.returncode != 0
            assert "API lock" in refused.stderr
        allowed = subprocess.run([nonce_bin(), "exec", "--stream", database.stream, "--db", database.location,
                                  "--timeout", "10s", "--", "sh", "-c", "echo $NONCE"],
                                 capture_output=True, text=True, timeout=60)
        assert allowed.returncode == 0, allowed.stderr
        assert int(allowed.stdout) > inside


def test_the_cli_issues_a_preset_streams_unit_in_its_sequence(new_location: str) -> None:
    """A stream Python created from the Bitfinex preset: the CLI's nonces are milliseconds
    too, between Python's, and the database passes `nonce verify`."""
    skip_unless_the_cli_knows_stream_units()
    with NonceStore(new_location, stream="bitfinex", exchange="bitfinex") as store:
        first = store.next()
        by_cli = [int(line) for line in cli("next", "--stream", "bitfinex", "--count", "5", "--db",
                                            new_location).stdout.split()]
        last = store.next()
    assert len(by_cli) == 5 and first < by_cli[0] and by_cli[-1] < last
    assert all(b > a for a, b in zip(by_cli, by_cli[1:])) and all(len(str(n)) == 13 for n in by_cli)
    cli("verify", "--db", new_location)
