"""`python -m noncestore`: a few of the `nonce` CLI's commands, for hosts with Python and
no Swift build. The database and stream: --db and --stream, else $NONCE_DB and
$NONCE_STREAM, else nonces.sqlite and default (as the `nonce` CLI)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import List, Optional

from ._durations import FORMS, parse_nanoseconds
from ._errors import NonceStoreError
from ._inspector import Inspector
from .store import NonceStore, _stream_name


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m noncestore",
        description="Nonces and figures of a NonceStore database, as the nonce CLI's commands of the same names. "
                    "Every command takes --db (default $NONCE_DB, else nonces.sqlite) and --stream (default "
                    "$NONCE_STREAM, else default).")
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--db", help="a SQLite file or a postgresql:// URI (default $NONCE_DB, else nonces.sqlite)")
    where.add_argument("--stream", help="the stream, usually one per API key (default $NONCE_STREAM, else default)")
    commands = parser.add_subparsers(title="commands", dest="command", required=True, metavar="COMMAND")

    next_ = commands.add_parser("next", parents=[where], help="print the next nonce(s) of a stream, one a line",
                                description="Print the next nonce(s), each above every nonce the stream issued to "
                                            "any process. A missing database or stream is created (shared).")
    next_.add_argument("--count", type=_positive, default=1, help="how many nonces (default 1)")
    next_.add_argument("--label", help="a label stored with each nonce in the history")

    jump = commands.add_parser("jump", parents=[where], help="move a stream forward, durably; print the new floor",
                               description="Move a shared stream's floor to max(floor, now) + the duration, recorded "
                                           "as a jump; every later nonce is above the printed floor.")
    jump.add_argument("--by", required=True, type=_duration, metavar="DURATION", help=f"how far: {FORMS}")
    jump.add_argument("--reason", default="manual (python -m noncestore jump)", help="recorded with the event")

    stats = commands.add_parser("stats", parents=[where], help="show a stream's figures, or every stream's for "
                                                               "Prometheus",
                                description="Show a stream's figures as the database holds them; reads only, and "
                                            "refuses a missing database or stream.")
    stats.set_defaults(parser=stats)  # for its own usage line in errors
    formats = stats.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="print JSON")
    formats.add_argument("--prometheus", action="store_true",
                         help="print every stream in the Prometheus text format (needs the prometheus extra)")
    return parser


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def _duration(text: str) -> int:
    nanoseconds = parse_nanoseconds(text)
    if nanoseconds is None or nanoseconds <= 0:
        raise argparse.ArgumentTypeError(f"takes a positive duration, {FORMS}; not {text!r}")
    return nanoseconds


def _next(options: argparse.Namespace) -> None:
    with NonceStore(options.db, stream=options.stream) as store:
        for _ in range(options.count):
            print(store.next(label=options.label), flush=True)


def _jump(options: argparse.Namespace) -> None:
    # As `nonce jump`: a jump is for a stream that exists; a typo must not create one.
    with NonceStore(options.db, stream=options.stream, create=False) as store:
        print(store.jump(nanoseconds=options.by, reason=options.reason))


def _stats(options: argparse.Namespace) -> None:
    if options.prometheus:
        if options.stream is not None:
            options.parser.error("--prometheus prints every stream; drop --stream (or use --json for one stream)")
        _print_prometheus(options.db)
        return
    with Inspector(options.db, [_stream_name(options.stream)]) as inspector:
        figures = inspector.figures()[0]
    if options.json:
        print(json.dumps(dataclasses.asdict(figures), indent=2, sort_keys=True))
        return
    near = "  (NEAR: within a year or 1%; set up a new API key and stream before it refuses)"
    rows = [
        ("stream", figures.stream),
        ("mode", figures.mode),
        ("unit", figures.unit + (f" ({figures.exchange} preset)" if figures.exchange else "")),
        ("ceiling", ("none (2^63-1)" if figures.max_nonce is None else str(figures.max_nonce))
         + (near if figures.ceiling_near else "")),
        ("last issued", figures.last_issued),
        ("high-water mark", figures.high_water_mark),
        ("issued total", figures.issued_total if figures.unclean_stops == 0
         else f"at least {figures.issued_total} ({figures.unclean_stops} unclean stop(s))"),
        ("lead over clock", f"{figures.lead_ns / 1e9:.3f} s"),
        ("clock regressions", figures.clock_regressions),
        ("mark renewals", figures.mark_renewals),
        ("jumps", figures.jumps),
        ("floor repairs", figures.floor_repairs),
        ("rejections", f"{figures.rejections_in_a_row} in a row, {figures.rejections_total} in total"),
        ("held", "yes" if figures.held else "no"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def _print_prometheus(location: Optional[str]) -> None:
    try:
        from prometheus_client import CollectorRegistry, generate_latest
    except ImportError:
        raise NonceStoreError("invalid_argument", "stats --prometheus needs prometheus_client: pip install "
                                                  "'noncestore[prometheus]'") from None
    from .prometheus import NonceStoreCollector

    registry = CollectorRegistry()
    collector = NonceStoreCollector(location)
    try:
        registry.register(collector)
        sys.stdout.write(generate_latest(registry).decode())
    finally:
        collector.close()


def main(argv: Optional[List[str]] = None) -> int:
    options = _parser().parse_args(argv)
    try:
        if options.command == "next":
            _next(options)
        elif options.command == "jump":
            _jump(options)
        else:
            _stats(options)
    except NonceStoreError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
