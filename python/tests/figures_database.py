"""A database whose streams have something in every figure the Prometheus families report,
made through the real `nonce` CLI and the Python store (and, for the counters, by hand,
so that each family carries a value of its own and no two could be swapped unseen)."""

from __future__ import annotations

import subprocess
import time

from conftest import Database, cli, nonce_bin

from noncestore import NonceStore

ODD_NAME = 'quote"back\\slash'
"""A stream whose label value the exposition must escape."""
COUNTED = {"issued_total": 11, "unclean_stops": 12, "floor_repairs": 13, "mark_renewals": 14,
           "clock_regressions": 15, "jumps": 16, "rejections_total": 17, "rejections_in_a_row": 18}
"""The hand-written counters of stream `counted`."""
FAR_FLOOR = 99 * 10**9
"""Stream `far`'s floor: 16 years below its ceiling of 10^11 s, within 1% of it."""


def populate(database: Database) -> None:
    """Streams (besides the fixture's `kraken`, shared, and `held-alone`, exclusive):
    `bitfinex` (ms, ceiling 2^53-1, a rejection ended by an ok), `near` (seconds, a ceiling
    300 days away), `far` (seconds, a floor within 1% of its ceiling), `counted`, and ODD_NAME (state lowered below its history by hand, then
    repaired by the next nonce). `kraken` gets nonces from both languages and three
    rejections (the third jumps it ahead of the clock); `held-alone` an unclean stop."""
    location, stream = database.location, database.stream
    cli("next", "--stream", stream, "--count", "5", "--db", location)
    with NonceStore(location, stream=stream) as store:
        for _ in range(3):
            store.next()
    for _ in range(3):
        cli("reject", "--stream", stream, "--db", location)

    cli("stream", "create", "bitfinex", "--shared", "--exchange", "bitfinex", "--db", location)
    cli("next", "--stream", "bitfinex", "--count", "2", "--db", location)
    cli("reject", "--stream", "bitfinex", "--db", location)
    cli("ok", "--stream", "bitfinex", "--db", location)

    # Near by the year rule alone: 300 days is less than 1% of a ceiling 56 years of seconds up.
    cli("stream", "create", "near", "--shared", "--unit", "s", "--max", str(time.time_ns() // 10**9 + 300 * 86_400),
        "--db", location)
    # Near by the 1% rule alone, its floor set by hand far ahead: a lead past 2^63-1 ns, clamped.
    cli("stream", "create", "far", "--shared", "--unit", "s", "--max", str(10**11), "--db", location)
    database.execute(f"UPDATE streams SET last_issued = {FAR_FLOOR}, high_water_mark = {FAR_FLOOR} WHERE name = 'far'")

    cli("stream", "create", "counted", "--shared", "--db", location)
    database.execute("UPDATE streams SET " + ", ".join(f"{k} = {v}" for k, v in COUNTED.items())
                     + " WHERE name = 'counted'")

    cli("stream", "create", ODD_NAME, "--shared", "--db", location)
    with NonceStore(location, stream=ODD_NAME) as store:
        store.next()
        store.next()
    escaped = ODD_NAME.replace("'", "''")
    database.execute(f"UPDATE streams SET last_issued = 1, high_water_mark = 1 WHERE name = '{escaped}'")
    with NonceStore(location, stream=ODD_NAME) as store:
        store.next()

    cli("next", "--stream", "held-alone", "--count", "3", "--db", location)
    stop_uncleanly(location, "held-alone")
    # The next holder finds the dead one recorded and counts it.
    cli("next", "--stream", "held-alone", "--wait", "20s", "--db", location)


def stop_uncleanly(location: str, stream: str) -> None:
    """A `nonce next` holding the exclusive stream, killed with SIGKILL mid-run."""
    process = subprocess.Popen([nonce_bin(), "next", "--stream", stream, "--count", "100000000", "--db", location],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip().isdigit()
    finally:
        process.kill()
        process.wait()
