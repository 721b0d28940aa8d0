"""Checks noncestore.py against a database prepared by the nonce CLI (CI runs this).

    nonce stream create default --shared --db DB
    nonce stream create exclusive-one --db DB
    NONCE_DB=DB python3 check_noncestore.py
"""

import os
import threading
import time
import unittest

import noncestore


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


if __name__ == "__main__":
    if not os.environ.get("NONCE_DB"):
        raise SystemExit("set NONCE_DB to a database with a shared 'default' stream and an exclusive 'exclusive-one'")
    unittest.main()
