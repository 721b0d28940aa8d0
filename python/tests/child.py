"""A separate Python process on a stream, for the tests: `child.py LOCATION STREAM COMMAND`.

- `issue N`: prints N nonces, one a line, flushed as each is issued (N 0: until killed).
- `hold-lock`: takes the API lock, prints `held`, keeps it until stdin closes.
- `locked-issue N JOURNAL`: N nonces, each inside the API lock, with `enter PID NONCE` and
  `leave PID` appended to JOURNAL while it is held.
"""

from __future__ import annotations

import os
import sys
import time

from noncestore import NonceStore


def main() -> None:
    location, stream, command, *rest = sys.argv[1:]
    store = NonceStore(location, stream=stream)
    if command == "issue":
        count = int(rest[0])
        issued = 0
        while count == 0 or issued < count:
            print(store.next(), flush=True)
            issued += 1
    elif command == "hold-lock":
        with store.api_lock():
            print("held", flush=True)
            sys.stdin.read()
    elif command == "locked-issue":
        journal = os.open(rest[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        for _ in range(int(rest[0])):
            with store.api_lock():
                os.write(journal, f"enter {os.getpid()} {store.next()}\n".encode())
                time.sleep(0.001)  # room for an intruder, were the lock not exclusive
                os.write(journal, f"leave {os.getpid()}\n".encode())
    else:
        raise SystemExit(f"unknown command {command}")
    store.close()


if __name__ == "__main__":
    main()
