"""Every stream's persisted figures for prometheus_client (the `prometheus` extra), under
the names, types, labels and help texts of `nonce stats --prometheus`:

    from prometheus_client import REGISTRY, start_http_server
    from noncestore.prometheus import NonceStoreCollector

    REGISTRY.register(NonceStoreCollector("nonces.sqlite"))   # or a postgresql:// URI, streams=[...]
    start_http_server(9108)

Each scrape reads the database (never creating, migrating or claiming anything), so the
figures count every process's nonces, in any language. The list of metrics and which of
them a float64 holds exactly: Sources/NonceKit/NonceKit.docc/Metrics.md.
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, Iterator, List, NamedTuple, Optional, Union

try:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
except ImportError:
    raise ImportError("noncestore.prometheus needs prometheus_client: pip install 'noncestore[prometheus]'") from None

from ._figures import StreamFigures
from ._inspector import Inspector

__all__ = ["NonceStoreCollector", "FAMILIES", "Family"]


class Family(NamedTuple):
    """One metric family: its full name (a counter's with `_total`), type, help text and
    per-stream value. Integers stay Python ints here; the text exposition prints them as
    float64, exact below 2^53 only."""

    name: str
    type: str
    help: str
    value: Callable[[StreamFigures], Union[int, float]]


# In the order, and with the words, of Sources/NonceCLI/PrometheusText.swift.
FAMILIES = (
    Family("noncestore_issued_total", "counter",
           "Nonces issued over the stream's life (a lower bound once unclean stops > 0).", lambda f: f.issued_total),
    Family("noncestore_unclean_stops_total", "counter", "Holders that stopped without releasing the stream.",
           lambda f: f.unclean_stops),
    Family("noncestore_floor_repairs_total", "counter",
           "Times the state row was found below the history and raised to it.", lambda f: f.floor_repairs),
    Family("noncestore_last_issued", "gauge",
           "The last nonce issued, in the stream's unit (noncestore_unit_nanoseconds).", lambda f: f.last_issued),
    Family("noncestore_high_water_mark", "gauge", "The durable ceiling restarts begin above.",
           lambda f: f.high_water_mark),
    Family("noncestore_lead_seconds", "gauge", "The last nonce's lead over the wall clock.", lambda f: f.lead_ns / 1e9),
    Family("noncestore_mark_renewals_total", "counter", "Durable commits of a new high-water mark.",
           lambda f: f.mark_renewals),
    Family("noncestore_clock_regressions_total", "counter", "Times the clock was seen stepping back.",
           lambda f: f.clock_regressions),
    Family("noncestore_jumps_total", "counter", "Jumps forward, manual or recovery.", lambda f: f.jumps),
    Family("noncestore_rejections_total", "counter", "Invalid-nonce rejections recorded.",
           lambda f: f.rejections_total),
    Family("noncestore_rejections_in_a_row", "gauge", "Rejections since the last success.",
           lambda f: f.rejections_in_a_row),
    Family("noncestore_held", "gauge", "1 while a live process holds the stream.", lambda f: int(f.held)),
    Family("noncestore_unit_nanoseconds", "gauge", "What one step of the stream's nonce is worth, in ns.",
           lambda f: f.unit_ns),
    Family("noncestore_max_nonce", "gauge", "The stream's ceiling (2^63-1 when it has none).", lambda f: f.ceiling),
    Family("noncestore_ceiling_near", "gauge", "1 while the stream is within a year, or 1%, of its ceiling.",
           lambda f: int(f.ceiling_near)),
)


def _empty(family: Family) -> Union[CounterMetricFamily, GaugeMetricFamily]:
    if family.type == "counter":
        # prometheus_client adds `_total` to a counter's samples itself.
        return CounterMetricFamily(family.name[:-len("_total")], family.help, labels=["stream"])
    return GaugeMetricFamily(family.name, family.help, labels=["stream"])


class NonceStoreCollector:
    """A prometheus_client collector of a database's streams, one `stream` label each.

    `location`: a SQLite file or a postgresql:// URI (default $NONCE_DB, else
    nonces.sqlite); it must exist. `streams`: the stream names to report (default: every
    stream, as `nonce stats --prometheus`); each must exist when the collector is made.
    `wait`: seconds a scrape may wait for the database. A wrong location or stream fails
    here, with a NonceStoreError naming it; a failure while scraping fails that scrape.
    Safe for concurrent scrapes; `close()` lets go of a PostgreSQL connection.
    """

    def __init__(self, location: Union[str, "os.PathLike[str]", None] = None,
                 streams: Optional[Iterable[str]] = None, *, wait: float = 10.0) -> None:
        self._inspector = Inspector(location, streams, wait=wait)

    @property
    def description(self) -> str:
        """The database as messages name it (a URI's password left out)."""
        return self._inspector.description

    def describe(self) -> List[Metric]:
        """The families without samples: what a registry checks names against when the
        collector is registered, without reading the database."""
        return [_empty(family) for family in FAMILIES]

    def collect(self) -> Iterator[Metric]:
        streams = self._inspector.figures()
        for family in FAMILIES:
            metric = _empty(family)
            for figures in streams:
                metric.add_metric([figures.stream], family.value(figures))
            yield metric

    def close(self) -> None:
        self._inspector.close()

    def __repr__(self) -> str:
        return f"NonceStoreCollector({self.description!r}, streams={self._inspector.streams!r})"
