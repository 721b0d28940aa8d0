"""Checks noncestore.py against a database prepared by the nonce CLI (CI runs this).

    nonce stream create default --shared --db DB
    nonce stream create exclusive-one --db DB
    NONCE_DB=DB python3 check_noncestore.py
"""

import fcntl
import os
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import noncestore

HERE = os.path.dirname(os.path.abspath(__file__))
NONCE_BIN = os.environ.get("NONCE_BIN") or os.path.join(HERE, "..", "..", ".build", "debug", "nonce")
F_OFD_GETLK = getattr(fcntl, "F_OFD_GETLK", 36)
CLAIM_BASE = 1 << 40
API_LOCK_BASE = CLAIM_BASE + (1 << 32)


def cli(*args, check=True, timeout=120):
    """Runs the nonce CLI; waits for the binary while it is missing or being rebuilt."""
    deadline = time.monotonic() + 600
    while True:
        try:
            result = subprocess.run([NONCE_BIN, *args], capture_output=True, text=True, timeout=timeout)
        except OSError:  # missing, or being written (ETXTBSY)
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
            continue
        if check and result.returncode != 0:
            raise AssertionError(f"nonce {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result


def python_child(code):
    """Starts `python3 -c code` with this directory (and so noncestore) importable."""
    return subprocess.Popen([sys.executable, "-c", code], cwd=HERE, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stop(child):
    """Kills a child still running and closes its pipes."""
    if child.poll() is None:
        child.kill()
    child.communicate()


def conflicting_lock(path, offset):
    """What an exclusive probe of byte `offset` of `path` meets: F_UNLCK when free, else the
    holder's lock type (F_RDLCK or F_WRLCK). Probed from a descriptor of its own, borrowed
    from the module's pool: closing a descriptor of the database would drop SQLite's locks."""
    key, fd = noncestore._borrow_descriptor(path)
    try:
        answer = fcntl.fcntl(fd, F_OFD_GETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, offset, 1, 0))
        return struct.unpack("hhqqi4x", answer)[0]
    finally:
        noncestore._give_back(key, fd)


class FakeClock:
    """A clock for the rate counter: stands still unless moved; `sleep` moves it."""

    def __init__(self, now):
        self.now = now
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += round(seconds * 1e9)


class NonceStoreExampleTests(unittest.TestCase):
    def test_nonces_strictly_increase_in_nanoseconds(self):
        nonces = [noncestore.get_kraken_nonce() for _ in range(200)]
        self.assertTrue(all(b > a for a, b in zip(nonces, nonces[1:])))
        self.assertTrue(all(len(str(n)) == 19 for n in nonces))
        self.assertEqual(noncestore.get_global_kraken_nonce() > nonces[-1], True)

    def test_threads_never_share_a_nonce(self):
        manager = noncestore.get_global_nonce_manager()
        seen, guard = [], threading.Lock()

        def work():
            mine = [manager.get_nonce(apply_rate_limiting=False) for _ in range(100)]
            with guard:
                seen.extend(mine)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(len(set(seen)), 400)

    def test_stats_count_every_nonce(self):
        before = noncestore.get_global_nonce_stats()["issued_total"]
        noncestore.get_kraken_nonce()
        stats = noncestore.get_global_nonce_stats()
        self.assertEqual(stats["issued_total"], before + 1)
        self.assertEqual(stats["mode"], "shared")

    def test_jump_forward_takes_nanoseconds(self):
        manager = noncestore.get_global_nonce_manager()
        floor = manager.jump_forward(60_000_000_000)
        self.assertGreaterEqual(floor, time.time_ns() + 59_000_000_000)
        self.assertGreater(manager.get_nonce(), floor)

    def test_api_lock_is_reentrant(self):
        lock = noncestore.get_kraken_api_lock()
        with lock:
            first = noncestore.get_kraken_nonce()
            with lock:
                second = noncestore.get_kraken_nonce()
        self.assertGreater(second, first)

    def test_exclusive_stream_is_refused(self):
        manager = noncestore.NonceStoreManager(stream="exclusive-one")
        with self.assertRaises(noncestore.NonceStoreError) as raised:
            manager.get_nonce()
        self.assertIn("exclusive", str(raised.exception))

    def test_missing_stream_is_refused(self):
        with self.assertRaises(noncestore.NonceStoreError) as raised:
            noncestore.NonceStoreManager(stream="no-such-stream")
        self.assertIn("nonce stream create", str(raised.exception))

    def test_errors_name_the_stream_and_the_database(self):
        db = os.environ["NONCE_DB"]
        with self.assertRaises(noncestore.NonceStoreError) as raised:
            noncestore.NonceStoreManager(stream="no-such-stream")
        self.assertIn("'no-such-stream'", str(raised.exception))
        self.assertIn(db, str(raised.exception))
        manager = noncestore.NonceStoreManager(stream="exclusive-one")
        self.addCleanup(manager.close)
        for use in (manager.get_nonce, lambda: manager.jump_forward(1_000), lambda: manager.api_lock().__enter__()):
            with self.assertRaises(noncestore.NonceStoreError) as raised:
                use()
            self.assertIn("'exclusive-one'", str(raised.exception))
            self.assertIn(db, str(raised.exception))
            self.assertIn("exclusive", str(raised.exception))


class FreshDatabaseTests(unittest.TestCase):
    """Each test on a database of its own, in a temporary directory of its own, prepared by the CLI:
    stream 'other' (shared, id 1) and 'default' (shared, id 2)."""

    def setUp(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.db = os.path.join(directory.name, "nonces.sqlite")
        cli("stream", "create", "other", "--shared", "--db", self.db)
        cli("stream", "create", "default", "--shared", "--db", self.db)
        self.locks = os.path.realpath(self.db)

    def manager(self, **options):
        manager = noncestore.NonceStoreManager(db=self.db, stream=options.pop("stream", "default"), **options)
        self.addCleanup(manager.close)
        return manager

    def state(self, stream="default"):
        connection = sqlite3.connect(self.db)
        try:
            cursor = connection.execute("SELECT * FROM stream_state WHERE stream = ?", (stream,))
            return dict(zip([column[0] for column in cursor.description], cursor.fetchone()))
        finally:
            connection.close()

    def child_code(self, body):
        return f"import noncestore\nmanager = noncestore.NonceStoreManager(db={self.db!r}, stream='default')\n{body}"

    # -- the API lock ----------------------------------------------------------------------

    def test_stream_id_comes_from_stream_state(self):
        manager = self.manager()
        self.assertEqual(manager.stream_id, self.state()["stream_id"])
        self.assertEqual(manager.stream_id, 2)
        self.assertEqual(self.manager(stream="other").stream_id, 1)

    def test_api_lock_is_the_byte_the_swift_side_locks(self):
        manager = self.manager()
        stream_id = self.state()["stream_id"]
        self.assertEqual(conflicting_lock(self.locks, API_LOCK_BASE + stream_id), fcntl.F_UNLCK)
        with manager.api_lock():
            self.assertEqual(conflicting_lock(self.locks, API_LOCK_BASE + stream_id), fcntl.F_WRLCK)
            self.assertEqual(conflicting_lock(self.locks, API_LOCK_BASE + 1), fcntl.F_UNLCK)  # stream 'other'
        self.assertEqual(conflicting_lock(self.locks, API_LOCK_BASE + stream_id), fcntl.F_UNLCK)

    def test_two_managers_in_one_process_exclude_each_other(self):
        first, second = self.manager(), self.manager()
        order, entered = [], threading.Event()
        timed_out = []

        def try_briefly():
            try:
                with second.api_lock(timeout=0.2):
                    order.append("second in early")
            except noncestore.NonceStoreTimeout as error:
                timed_out.append(str(error))

        def wait_for_it():
            with second.api_lock():
                order.append("second in")
                entered.set()

        with first.api_lock():
            order.append("first in")
            with second.api_lock(timeout=0):  # the same thread: reentrant across managers of the stream
                order.append("first again")
            thread = threading.Thread(target=try_briefly)
            thread.start()
            thread.join()
            self.assertEqual(len(timed_out), 1, order)
            self.assertIn("'default'", timed_out[0])
            waiter = threading.Thread(target=wait_for_it)
            waiter.start()
            self.assertFalse(entered.wait(0.3), "the second manager got in while the first held the lock")
            order.append("first out")
        self.assertTrue(entered.wait(10))
        waiter.join()
        self.assertEqual(order, ["first in", "first again", "first out", "second in"])

    def test_other_processes_cannot_take_the_lock_while_this_one_holds_it(self):
        manager = self.manager()
        python_try = self.child_code(
            "try:\n"
            "    with manager.api_lock(timeout=0.2):\n"
            "        print('took')\n"
            "except noncestore.NonceStoreTimeout:\n"
            "    print('timed out')\n")
        with manager.api_lock():
            swift = cli("exec", "--db", self.db, "--stream", "default", "--timeout", "200ms", "--", "true", check=False)
            self.assertNotEqual(swift.returncode, 0, "nonce exec took the API lock this process holds")
            self.assertIn("API lock", swift.stderr)
            child = python_child(python_try)
            output, errors = child.communicate(timeout=60)
            self.assertEqual(output.strip(), "timed out", errors)
        self.assertEqual(cli("exec", "--db", self.db, "--stream", "default", "--timeout", "10s", "--", "true",
                             check=False).returncode, 0)
        child = python_child(python_try)
        output, errors = child.communicate(timeout=60)
        self.assertEqual(output.strip(), "took", errors)

    def test_this_process_waits_while_another_holds_the_lock(self):
        child = python_child(self.child_code(
            "import sys\n"
            "with manager.api_lock():\n"
            "    print('held', flush=True)\n"
            "    sys.stdin.readline()\n"))
        self.addCleanup(stop, child)
        self.assertEqual(child.stdout.readline().strip(), "held")
        manager = self.manager()
        with self.assertRaises(noncestore.NonceStoreTimeout):
            with manager.api_lock(timeout=0.2):
                pass
        entered = threading.Event()

        def wait_for_it():
            with manager.api_lock():  # no timeout: F_OFD_SETLKW
                entered.set()

        thread = threading.Thread(target=wait_for_it)
        thread.start()
        self.assertFalse(entered.wait(0.3), "took the API lock another process holds")
        child.stdin.write("go\n")
        child.stdin.flush()
        self.assertTrue(entered.wait(10))
        thread.join()
        output, errors = child.communicate(timeout=60)
        self.assertEqual(child.returncode, 0, errors)

    @unittest.skipUnless(hasattr(os, "fork"), "needs fork")
    def test_a_forked_child_is_a_process_of_its_own(self):
        manager = self.manager()
        reader, writer = os.pipe()
        with manager.api_lock():
            pid = os.fork()
            if pid == 0:  # the child, forked inside the parent's body, on the same thread id
                try:
                    try:
                        with manager.api_lock(timeout=0.2):
                            answer = b"took"
                    except noncestore.NonceStoreTimeout:
                        answer = b"timed out"
                    os.write(writer, answer)
                finally:
                    os._exit(0)
            os.close(writer)
            answer = os.read(reader, 100)
            os.waitpid(pid, 0)
        os.close(reader)
        self.assertEqual(answer, b"timed out")

    def test_a_shared_claim_keeps_the_mode_while_a_manager_is_open(self):
        manager = self.manager()
        self.assertEqual(conflicting_lock(self.locks, CLAIM_BASE + manager.stream_id), fcntl.F_RDLCK)
        switch = cli("stream", "set-mode", "default", "exclusive", "--db", self.db, check=False)
        self.assertNotEqual(switch.returncode, 0, "the stream was switched under an open manager")
        self.assertEqual(self.state()["mode"], "shared")
        manager.close()
        self.assertEqual(conflicting_lock(self.locks, CLAIM_BASE + manager.stream_id), fcntl.F_UNLCK)
        cli("stream", "set-mode", "default", "exclusive", "--db", self.db)
        # Opening an exclusive stream takes no claim (it would keep its holder out); using it is refused.
        refused = self.manager()
        cli("next", "--db", self.db, "--stream", "default")
        with self.assertRaises(noncestore.NonceStoreError) as raised:
            refused.get_nonce()
        self.assertIn("exclusive", str(raised.exception))

    # -- the rate counter ------------------------------------------------------------------

    def test_takes_raise_the_counter_as_swift_computes_it(self):
        start = time.time_ns()
        clock = FakeClock(start)
        manager = self.manager(tier="pro", clock=clock, sleep=clock.sleep)
        for _ in range(3):
            manager.get_nonce()
        state = self.state()
        self.assertEqual((state["rate_counter"], state["rate_counter_at"]), (3.0, start))
        manager.get_nonce(apply_rate_limiting=False)
        self.assertEqual(self.state()["rate_counter"], 3.0)
        clock.now += 1_500_000_000  # decays 1.5
        manager.get_nonce(cost=noncestore.COST_HISTORY)
        state = self.state()
        self.assertEqual((state["rate_counter"], state["rate_counter_at"]), (3.5, start + 1_500_000_000))
        for _ in range(16):
            manager.get_nonce()
        self.assertEqual(self.state()["rate_counter"], 19.5)
        self.assertEqual(clock.slept, [])
        manager.get_nonce()  # 0.5 over the maximum of 20: waits 0.5 s at 1/s, then fits
        self.assertEqual(clock.slept, [0.5])
        state = self.state()
        self.assertEqual((state["rate_counter"], state["rate_counter_at"]), (20.0, start + 2_000_000_000))
        # A clock that steps back decays nothing and keeps updated_at.
        other = self.manager(stream="other", tier=(5, 0.5), clock=clock, sleep=clock.sleep)
        other.get_nonce()
        clock.now -= 1_000_000_000
        other.get_nonce()
        state = self.state("other")
        self.assertEqual((state["rate_counter"], state["rate_counter_at"]), (2.0, start + 2_000_000_000))

    def test_an_api_lock_body_holds_its_charge_when_it_ends(self):
        start = time.time_ns()
        clock = FakeClock(start)
        manager = self.manager(tier="pro", clock=clock, sleep=clock.sleep)
        with manager.api_lock():
            manager.get_nonce()  # the call the lock paid for: not charged again
            self.assertEqual(self.state()["rate_counter"], 1.0)
            clock.now += 500_000_000
        # Decayed to 0.5 by the body's end, and the 0.5 that decayed since the take held back.
        state = self.state()
        self.assertEqual((state["rate_counter"], state["rate_counter_at"]), (1.0, start + 500_000_000))
        with manager.api_lock():
            manager.get_nonce()
            manager.get_nonce()  # a second call in the body is charged
            self.assertEqual(self.state()["rate_counter"], 3.0)
            clock.now += 3_000_000_000
        # 3 decayed to 0 over 3 s; the held part is at most the lock's cost.
        state = self.state()
        self.assertEqual((state["rate_counter"], state["rate_counter_at"]), (1.0, start + 3_500_000_000))
        with manager.api_lock():
            with manager.api_lock():  # each level is a counted call, held at its own end
                self.assertEqual(self.state()["rate_counter"], 3.0)
                clock.now += 250_000_000
            self.assertEqual(self.state()["rate_counter"], 3.0)  # 2.75 + 0.25
            clock.now += 250_000_000
        self.assertEqual(self.state()["rate_counter"], 3.25)  # 2.75 + min(1, 0.5 decayed since the outer take)
        with manager.api_lock(apply_rate_limiting=False):
            clock.now += 1_000_000_000
        self.assertEqual(self.state()["rate_counter"], 3.25)  # nothing taken, nothing held: the row is unchanged

    def test_the_cli_and_python_share_one_counter(self):
        before = time.time_ns()
        manager = self.manager(tier="pro", clock=lambda: before)
        for _ in range(3):
            manager.get_nonce()
        cli("next", "--db", self.db, "--stream", "default", "--tier", "pro", "--count", "5")
        state = self.state()
        level, at = state["rate_counter"], state["rate_counter_at"]
        self.assertGreater(at, before)
        self.assertLess(at - before, 3_000_000_000, "the CLI took too long for the check below")
        # 3 + 5 calls, decayed at 1/s from Python's first take to the CLI's last.
        self.assertAlmostEqual(level, 8 - (at - before) / 1e9, places=6)
        after = time.time_ns()
        manager = self.manager(tier="pro", clock=lambda: after)
        manager.get_nonce(cost=2)
        self.assertAlmostEqual(self.state()["rate_counter"], level - (after - at) / 1e9 + 2, places=9)

    # -- jumps and the SQL contract --------------------------------------------------------

    def test_jump_forward_is_a_recorded_jump(self):
        manager = self.manager()
        first = manager.get_nonce()
        before = self.state()
        requested = time.time_ns()
        floor = manager.jump_forward(5_000_000_000)
        after = self.state()
        self.assertGreaterEqual(floor, requested + 5_000_000_000)
        self.assertEqual(after["high_water_mark"], floor)
        self.assertEqual(after["jumps"], before["jumps"] + 1)
        self.assertEqual(after["issued_total"], before["issued_total"])  # a jump issues no nonce
        self.assertEqual(after["last_issued"], first)
        connection = sqlite3.connect(self.db)
        try:
            events = connection.execute(
                "SELECT detail FROM nonce_events WHERE stream = 'default' AND kind = 'jump'").fetchall()
        finally:
            connection.close()
        self.assertEqual(len(events), 1)
        self.assertIn("by 5000000000 ns", events[0][0])
        self.assertIn(f"to {floor}", events[0][0])
        self.assertIn("jump_forward", events[0][0])
        self.assertGreater(manager.get_nonce(), floor)
        self.assertGreater(int(cli("next", "--db", self.db, "--stream", "default").stdout), floor)

    def test_a_database_locked_for_the_whole_wait_is_an_error_naming_the_wait(self):
        manager = self.manager(wait=0.3)
        holder = sqlite3.connect(self.db, isolation_level=None)
        self.addCleanup(holder.close)
        holder.execute("BEGIN IMMEDIATE")
        with self.assertRaises(noncestore.NonceStoreError) as raised:
            manager.get_nonce()
        message = str(raised.exception)
        self.assertIn("stayed locked", message)
        self.assertIn("0.3 s", message)
        self.assertIn(self.db, message)
        started, results = threading.Event(), []

        def issue():
            waiter = self.manager(wait=30)
            started.set()
            results.append(waiter.get_nonce())

        thread = threading.Thread(target=issue)
        thread.start()
        self.assertTrue(started.wait(10))
        holder.execute("COMMIT")
        thread.join()
        self.assertEqual(len(results), 1)
        self.assertGreater(manager.get_nonce(), results[0])

    def test_an_empty_file_beside_a_log_is_refused_and_the_log_kept(self):
        path = self.db + ".empty"
        open(path, "wb").close()
        with open(path + "-wal", "wb") as log:
            log.write(b"newest marks")
        with self.assertRaises(noncestore.NonceStoreError) as raised:
            noncestore.NonceStoreManager(db=path, stream="default")
        self.assertIn("was a database in use", str(raised.exception))
        with open(path + "-wal", "rb") as log:
            self.assertEqual(log.read(), b"newest marks")

    def test_a_newer_schema_is_refused(self):
        connection = sqlite3.connect(self.db)
        connection.execute(f"PRAGMA user_version = {noncestore.SCHEMA_VERSION + 1}")
        connection.close()
        with self.assertRaises(noncestore.NonceStoreError) as raised:
            noncestore.NonceStoreManager(db=self.db, stream="default")
        self.assertIn(f"schema version {noncestore.SCHEMA_VERSION + 1}", str(raised.exception))
        self.assertIn("newer", str(raised.exception))
        self.assertIn(self.db, str(raised.exception))


def tearDownModule():
    noncestore.reset_global_nonce_manager()


if __name__ == "__main__":
    if not os.environ.get("NONCE_DB"):
        raise SystemExit("set NONCE_DB to a database with a shared 'default' stream and an exclusive 'exclusive-one'")
    unittest.main()
