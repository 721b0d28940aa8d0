"""Error codes: `noncestore.ERROR_CODES` is the one list (the Swift library's table), every
refusal the package makes names a code from it, and the errors behave as exceptions should."""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import pytest
from conftest import REPOSITORY

import noncestore
from noncestore import ERROR_CODES, NonceStoreError, NonceStoreTimeout

TABLE = REPOSITORY / "Sources" / "NonceKit" / "NonceKit.docc" / "ErrorCodes.md"
PACKAGE = Path(noncestore.__file__).resolve().parent


def test_the_codes_are_the_table_of_the_swift_documentation() -> None:
    codes = re.findall(r"^\| `([a-z_]+)` \|", TABLE.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(codes) == len(set(codes)) > 20
    assert set(codes) == ERROR_CODES


def test_every_refusal_of_the_package_names_a_code() -> None:
    """Read from the source: each NonceStoreError is built with a code first (a literal from
    the list, or a variable the next checks cover), and every literal code handed to the
    backends' error mapping is in the list."""
    from noncestore import _postgres, _sqlite

    mapping = {"_run", "_transaction", "_map_errors", "_mapped"}
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            where = f"{path.name}:{node.lineno}"
            if name == "NonceStoreError":
                assert len(node.args) == 2, f"{where}: NonceStoreError(code, message)"
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    assert first.value in ERROR_CODES, where
                else:
                    assert isinstance(first, ast.Name) and first.id in ("code", "failure"), where
            elif name == "NonceStoreTimeout":
                assert len(node.args) == 1, f"{where}: NonceStoreTimeout(message)"
            elif name in mapping:
                literals = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                assert set(literals) <= ERROR_CODES, where
    assert set(_postgres._REFUSALS.values()) <= ERROR_CODES
    assert {code for _, code in _sqlite._CONTRACT_REFUSALS} <= ERROR_CODES


def test_an_error_is_its_message_carries_its_code_and_survives_pickling() -> None:
    error = NonceStoreError("stream_held", "stream 'kraken' is held")
    assert (str(error), error.message, error.code) == ("stream 'kraken' is held", "stream 'kraken' is held", "stream_held")
    assert repr(error) == "NonceStoreError('stream_held', \"stream 'kraken' is held\")"
    timeout = NonceStoreTimeout("the API lock was not free")
    assert timeout.code == "api_lock_timed_out" and isinstance(timeout, TimeoutError)
    for original in (error, timeout):
        copy = pickle.loads(pickle.dumps(original))
        assert (type(copy), copy.code, str(copy)) == (type(original), original.code, str(original))
    with pytest.raises(ValueError, match="'stream_hold' is not a NonceStore error code"):
        NonceStoreError("stream_hold", "a typo")


def test_the_package_exports_the_codes() -> None:
    assert "ERROR_CODES" in noncestore.__all__ and isinstance(noncestore.ERROR_CODES, frozenset)
