"""`python -m noncestore next [--count N]` prints nonces of a stream, one a line;
`python -m noncestore stats` its figures. The database and stream: --db and --stream, else
$NONCE_DB and $NONCE_STREAM (as the `nonce` CLI)."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from ._errors import NonceStoreError
from .store import NonceStore


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m noncestore", description=__doc__)
    parser.add_argument("command", choices=["next", "stats"])
    parser.add_argument("--count", type=int, default=1, help="how many nonces (next)")
    parser.add_argument("--db", help="a SQLite file or a postgresql:// URI (default $NONCE_DB, else nonces.sqlite)")
    parser.add_argument("--stream", help="the shared stream (default $NONCE_STREAM, else default)")
    options = parser.parse_args(argv)
    try:
        with NonceStore(options.db, stream=options.stream) as store:
            if options.command == "next":
                for _ in range(options.count):
                    print(store.next(), flush=True)
            else:
                for name, value in store.stats().row.items():
                    print(f"{name}: {value}")
    except NonceStoreError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
