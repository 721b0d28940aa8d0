"""noncestore.prometheus: the collector's families are the documented table's, and for the
same database its text exposition is `nonce stats --prometheus`'s, family by family and
sample by sample, on SQLite and PostgreSQL; registered in a real prometheus_client
registry and scraped over HTTP."""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import REPOSITORY, Database, cli, skip_unless_the_cli_knows_stream_units
from exposition import LEAD, assert_same, parsed
from figures_database import COUNTED, ODD_NAME, populate
from prometheus_client import CollectorRegistry, generate_latest, start_http_server

from noncestore import NonceStore, NonceStoreError
from noncestore.prometheus import FAMILIES, NonceStoreCollector

TABLE = REPOSITORY / "Sources" / "NonceKit" / "NonceKit.docc" / "Metrics.md"


def exposition(collector: NonceStoreCollector) -> str:
    registry = CollectorRegistry()
    registry.register(collector)
    return generate_latest(registry).decode()


def test_the_families_are_the_documented_table() -> None:
    rows = re.findall(r"^\| `(noncestore_\w+)` \| (\w+) \| `(\w+)` \|", TABLE.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(rows) == 15
    assert rows == [(family.name, family.type, "stream") for family in FAMILIES]


def test_the_exposition_is_the_clis_sample_by_sample(database: Database) -> None:
    skip_unless_the_cli_knows_stream_units()
    populate(database)
    # A live holder of a shared stream, in this very process: held on both sides.
    with NonceStore(database.location, stream=database.stream):
        collector = NonceStoreCollector(database.location)
        try:
            started = time.monotonic()
            by_cli = cli("stats", "--prometheus", "--db", database.location).stdout
            by_python = exposition(collector)
            elapsed = time.monotonic() - started
        finally:
            collector.close()
    # The lead is read against the clock at each read; a ms stream's clock is whole ms.
    assert_same(by_cli, by_python, lead_tolerance=elapsed + 0.002)

    values = {name: {dict(labels)["stream"]: value for _, labels, value in samples}
              for name, (_, _, samples) in parsed(by_python).items()}
    # The database really has what the comparison is meant to cover.
    assert set(values["noncestore_held"].items()) >= {("kraken", 1), ("bitfinex", 0), ("held-alone", 0)}
    assert values["noncestore_unclean_stops"]["held-alone"] == 1
    assert values["noncestore_floor_repairs"][ODD_NAME] == 1
    assert values["noncestore_rejections"]["kraken"] == 3 and values["noncestore_jumps"]["kraken"] == 1
    assert values[LEAD]["kraken"] > 5  # the third rejection jumped it 10 s ahead
    assert (values["noncestore_rejections"]["bitfinex"], values["noncestore_rejections_in_a_row"]["bitfinex"]) == (1, 0)
    assert values["noncestore_unit_nanoseconds"]["bitfinex"] == 1_000_000
    assert values["noncestore_max_nonce"]["bitfinex"] == 2**53 - 1
    assert [values["noncestore_ceiling_near"][s] for s in ("near", "far", "kraken")] == [1, 1, 0]
    assert values[LEAD]["far"] == (2**63 - 1) / 1e9
    assert values["noncestore_clock_regressions"]["counted"] == COUNTED["clock_regressions"]
    assert 'stream="quote\\"back\\\\slash"' in by_python  # escaped as the CLI escapes it


def test_the_comparison_catches_a_renamed_family_and_a_changed_value(sqlite_database: Database) -> None:
    """The negative control of the test above: the same check fails on a wrong exposition."""
    populate(sqlite_database)
    by_cli = cli("stats", "--prometheus", "--db", sqlite_database.location).stdout
    collector = NonceStoreCollector(sqlite_database.location)
    by_python = exposition(collector)
    collector.close()
    assert_same(by_cli, by_python, lead_tolerance=60)
    with pytest.raises(AssertionError, match="families differ"):
        assert_same(by_cli, by_python.replace("noncestore_jumps_total", "noncestore_jump_total"), lead_tolerance=60)
    changed = by_python.replace('noncestore_jumps_total{stream="kraken"} 1.0', 'noncestore_jumps_total{stream="kraken"} 2.0')
    assert changed != by_python
    with pytest.raises(AssertionError, match="noncestore_jumps_total"):
        assert_same(by_cli, changed, lead_tolerance=60)


def test_the_samples_keep_exact_integers_before_the_text_format(sqlite_database: Database) -> None:
    with NonceStore(sqlite_database.location, stream="kraken") as store:
        last = store.next()
    collector = NonceStoreCollector(sqlite_database.location, streams=["kraken"])
    families = {metric.name: metric for metric in collector.collect()}
    collector.close()
    [sample] = families["noncestore_last_issued"].samples
    assert sample.labels == {"stream": "kraken"} and sample.value == last and isinstance(sample.value, int)
    [mark] = families["noncestore_max_nonce"].samples
    assert mark.value == 2**63 - 1


def test_streams_limits_the_series_and_a_missing_one_is_named(database: Database) -> None:
    collector = NonceStoreCollector(database.location, streams=["kraken"])
    try:
        text = exposition(collector)
    finally:
        collector.close()
    assert 'stream="kraken"' in text and "held-alone" not in text
    with pytest.raises(NonceStoreError, match="no stream 'krakn'.*its streams: held-alone, kraken") as refused:
        NonceStoreCollector(database.location, streams=["kraken", "krakn"])
    assert refused.value.code == "stream_not_found"
    with pytest.raises(TypeError, match=r"\['kraken'\]"):
        NonceStoreCollector(database.location, streams="kraken")


def test_a_missing_database_is_refused_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite"
    with pytest.raises(NonceStoreError, match="no database at .*missing.sqlite") as refused:
        NonceStoreCollector(missing)
    assert refused.value.code == "cannot_open"
    assert list(tmp_path.iterdir()) == []


def test_a_missing_database_or_schema_is_refused_and_not_created(new_location: str) -> None:
    with pytest.raises(NonceStoreError) as refused:
        NonceStoreCollector(new_location)
    assert refused.value.code == "cannot_open"
    # Nothing was made: a store refusing to create finds nothing either.
    with pytest.raises(NonceStoreError) as again:
        NonceStore(new_location, stream="kraken", create=False)
    assert again.value.code == "cannot_open"


def test_held_follows_the_holder_between_scrapes(database: Database) -> None:
    collector = NonceStoreCollector(database.location, streams=[database.stream])
    registry = CollectorRegistry()
    registry.register(collector)
    try:
        assert registry.get_sample_value("noncestore_held", {"stream": database.stream}) == 0
        with NonceStore(database.location, stream=database.stream) as store:
            store.next()
            assert registry.get_sample_value("noncestore_held", {"stream": database.stream}) == 1
            assert registry.get_sample_value("noncestore_issued_total", {"stream": database.stream}) == 1
        assert registry.get_sample_value("noncestore_held", {"stream": database.stream}) == 0
    finally:
        collector.close()


def test_a_store_s_close_frees_the_stream_before_it_returns(database: Database) -> None:
    # A server ends a closed session's locks only once it reads the end of the stream: a close
    # that left that to the server was seen as still holding by a scrape right after it, now
    # and then. Repeated, since the window is short.
    collector = NonceStoreCollector(database.location, streams=[database.stream])
    registry = CollectorRegistry()
    registry.register(collector)
    try:
        for round in range(25):
            with NonceStore(database.location, stream=database.stream) as store:
                store.next()
            assert registry.get_sample_value("noncestore_held", {"stream": database.stream}) == 0, f"round {round}"
    finally:
        collector.close()


def test_registering_reads_nothing_and_a_failing_scrape_names_the_database(tmp_path: Path) -> None:
    location = tmp_path / "gone.sqlite"
    with NonceStore(location, stream="kraken") as store:
        store.next()
    collector = NonceStoreCollector(location)
    for path in tmp_path.iterdir():
        path.unlink()
    registry = CollectorRegistry()
    registry.register(collector)  # describe(): the names alone
    with pytest.raises(NonceStoreError, match="gone.sqlite") as failed:
        generate_latest(registry)
    assert failed.value.code == "cannot_open"
    assert list(tmp_path.iterdir()) == []  # and the scrape created nothing


def test_a_scrape_over_http_reads_every_process_s_nonces(sqlite_database: Database) -> None:
    collector = NonceStoreCollector(sqlite_database.location)
    registry = CollectorRegistry()
    registry.register(collector)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        registry.register(NonceStoreCollector(sqlite_database.location))  # the names are claimed once
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        with NonceStore(sqlite_database.location, stream="kraken") as store:
            store.next()
        cli("next", "--stream", "kraken", "--db", sqlite_database.location)
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/metrics", timeout=30) as reply:
            body = reply.read().decode()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        collector.close()
    assert 'noncestore_issued_total{stream="kraken"} 2.0' in body
    assert 'noncestore_held{stream="held-alone"} 0.0' in body
