"""The URI's parameters that are NonceStore's own, not libpq's, as the Swift library reads them."""
import pytest

from noncestore import NonceStoreError
from noncestore._postgres import PostgresLocation


def test_reply_timeout_is_accepted_and_kept_from_libpq() -> None:
    """One URI serves the CLI, the Swift library and this package: `reply_timeout` (which
    libpq would refuse) is taken out like `schema`."""
    location = PostgresLocation("postgresql://bot@db.internal/nonces?sslmode=disable&reply_timeout=3&schema=k")
    assert location.reply_timeout == 3 and location.schema == "k"
    assert "reply_timeout" not in location.conninfo and "sslmode=disable" in location.conninfo


def test_reply_timeout_must_be_a_positive_whole_number() -> None:
    with pytest.raises(NonceStoreError, match="reply_timeout '0' in the URI must be a positive whole number") as refused:
        PostgresLocation("postgresql://bot@db.internal/nonces?reply_timeout=0")
    assert refused.value.code == "invalid_argument"


def test_libpq_parameters_reach_libpq_as_written() -> None:
    """libpq decodes %XX and nothing else: a space written %20 (in `options`, say) must not
    come out as '+', nor a '+' as a space."""
    location = PostgresLocation("postgresql://bot@db.internal/nonces?options=-c%20search_path%3Dx&schema=k"
                                "&application_name=a+b")
    assert location.conninfo == "postgresql://bot@db.internal/nonces?options=-c%20search_path%3Dx&application_name=a+b"
