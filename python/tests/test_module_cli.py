"""`python -m noncestore`: its help lists every command with a line each, and `next`,
`jump` and `stats` agree with the real `nonce` CLI on the same database, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Optional

import pytest
from conftest import Database, cli, skip_unless_the_cli_knows_stream_units
from exposition import assert_same
from figures_database import populate

from noncestore._durations import parse_nanoseconds


def python_cli(*args: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "noncestore", *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_help_lists_each_command_with_a_line_and_each_command_has_help() -> None:
    shown = python_cli("--help")
    assert shown.returncode == 0, shown.stderr
    listed = dict(re.findall(r"^    (\w+) +(\S.*)$", shown.stdout, re.MULTILINE))
    assert sorted(listed) == ["jump", "next", "stats"]
    for command, line in listed.items():
        assert len(line.split()) >= 4, f"{command}: {line!r}"
        own = python_cli(command, "--help")
        assert own.returncode == 0 and own.stdout.startswith(f"usage: python -m noncestore {command}")
        assert "--db" in own.stdout and "--stream" in own.stdout


def test_next_prints_nonces_in_the_clis_sequence(database: Database) -> None:
    printed = python_cli("next", "--count", "3", "--label", "by-python", "--db", database.location, "--stream",
                         database.stream)
    assert printed.returncode == 0, printed.stderr
    nonces = [int(line) for line in printed.stdout.split()]
    assert len(nonces) == 3 and nonces == sorted(set(nonces))
    after = int(cli("next", "--stream", database.stream, "--db", database.location).stdout)
    assert after > nonces[-1]
    labelled = database.query("SELECT nonce FROM nonce_history WHERE label = 'by-python' ORDER BY nonce")
    assert [int(row[0]) for row in labelled] == nonces
    database.verify()


def test_next_takes_the_database_and_stream_from_the_environment(tmp_path: Path) -> None:
    location = tmp_path / "from-env.sqlite"
    printed = python_cli("next", env={**os.environ, "NONCE_DB": str(location), "NONCE_STREAM": "env-stream"})
    assert printed.returncode == 0, printed.stderr
    shown = json.loads(cli("stats", "--json", "--stream", "env-stream", "--db", str(location)).stdout)
    assert (shown["last_issued"], shown["mode"]) == (int(printed.stdout), "shared")


def test_jump_moves_the_floor_and_refuses_a_missing_stream(database: Database) -> None:
    before = time.time_ns()
    jumped = python_cli("jump", "--by", "1h30m", "--reason", "test jump", "--db", database.location, "--stream",
                        database.stream)
    assert jumped.returncode == 0, jumped.stderr
    floor = int(jumped.stdout)
    assert floor >= before + 5_400 * 10**9
    assert int(cli("next", "--stream", database.stream, "--db", database.location).stdout) > floor
    assert database.query("SELECT floor FROM nonce_events WHERE kind = 'jump' AND detail LIKE '%test jump%'") \
        == [(floor,)]

    missing = python_cli("jump", "--by", "1s", "--db", database.location, "--stream", "krakn")
    assert missing.returncode == 1 and "no stream 'krakn'" in missing.stderr
    assert database.query("SELECT count(*) FROM streams WHERE name = 'krakn'") == [(0,)]
    wrong = python_cli("jump", "--by=-5s", "--db", database.location, "--stream", database.stream)
    assert wrong.returncode == 2 and "argument --by" in wrong.stderr and "'-5s'" in wrong.stderr


def test_durations_read_as_the_cli_reads_them() -> None:
    assert [parse_nanoseconds(t) for t in ("500ms", "1.5s", "1h30m", "250us", "250µs", "2d", " 3ns ", ".5ns", "-5s")] \
        == [500_000_000, 1_500_000_000, 5_400 * 10**9, 250_000, 250_000, 172_800 * 10**9, 3, 1, -5 * 10**9]
    assert [parse_nanoseconds(t) for t in ("", "5", "1.s", "1x", "s", "-", "300000d")] == [None] * 7


def test_stats_shows_the_figures_nonce_stats_shows(database: Database) -> None:
    skip_unless_the_cli_knows_stream_units()
    populate(database)
    for stream in ("kraken", "bitfinex", "held-alone", "far", "near"):
        started = time.monotonic()
        swift = json.loads(cli("stats", "--json", "--stream", stream, "--db", database.location).stdout)
        shown = python_cli("stats", "--json", "--db", database.location, "--stream", stream)
        elapsed = time.monotonic() - started
        assert shown.returncode == 0, shown.stderr
        python = json.loads(shown.stdout)
        same = ["stream", "mode", "unit", "max_nonce", "exchange", "last_issued", "high_water_mark", "issued_total",
                "unclean_stops", "floor_repairs", "mark_renewals", "clock_regressions", "jumps", "rejections_total",
                "ceiling_near"]
        assert {k: python[k] for k in same} == {k: swift[k] for k in same}, stream
        assert (python["rejections_in_a_row"], python["held"]) == (swift["consecutive_rejections"], swift["is_held"])
        assert abs(python["lead_ns"] - swift["lead_over_clock_nanoseconds"]) <= (elapsed + 0.002) * 1e9

    text = python_cli("stats", "--db", database.location, "--stream", "held-alone").stdout
    figures = json.loads(cli("stats", "--json", "--stream", "held-alone", "--db", database.location).stdout)
    assert f"last issued        {figures['last_issued']}\n" in text
    assert f"issued total       at least {figures['issued_total']} (1 unclean stop(s))\n" in text
    assert "held               no\n" in text


def test_stats_prometheus_is_the_clis(database: Database) -> None:
    skip_unless_the_cli_knows_stream_units()
    populate(database)
    started = time.monotonic()
    swift = cli("stats", "--prometheus", "--db", database.location).stdout
    python = python_cli("stats", "--prometheus", "--db", database.location)
    assert python.returncode == 0, python.stderr
    assert_same(swift, python.stdout, lead_tolerance=time.monotonic() - started + 0.002)
    both = python_cli("stats", "--prometheus", "--stream", "kraken", "--db", database.location)
    assert both.returncode == 2 and "--prometheus prints every stream" in both.stderr


def test_stats_reads_only(tmp_path: Path) -> None:
    missing = tmp_path / "typo.sqlite"
    for args in ([], ["--json"], ["--prometheus"]):
        refused = python_cli("stats", *args, "--db", str(missing))
        assert refused.returncode == 1 and "no database at" in refused.stderr and "typo.sqlite" in refused.stderr
    assert list(tmp_path.iterdir()) == []
