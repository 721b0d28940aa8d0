"""Two Prometheus text expositions compared family by family and sample by sample, as a
scraper reads them (prometheus_client's own parser): names, types, help texts, label sets
and values, each value as the float64 a Prometheus server keeps (the CLI prints a 19-digit
nonce in full, prometheus_client prints its nearest float64: the server stores the same).
Only `noncestore_lead_seconds` may differ, by the time between the two reads."""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

from prometheus_client.parser import text_string_to_metric_families

LEAD = "noncestore_lead_seconds"

Samples = List[Tuple[str, Tuple[Tuple[str, str], ...], float]]


def written_names(text: str) -> List[str]:
    """The families as the text writes them (a counter's with `_total`), in order."""
    return re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE)


def parsed(text: str) -> Dict[str, Tuple[str, str, Samples]]:
    """name -> (type, help, samples in order), by prometheus_client's parser."""
    return {family.name: (family.type, family.documentation,
                          [(s.name, tuple(sorted(s.labels.items())), s.value) for s in family.samples])
            for family in text_string_to_metric_families(text)}


def assert_same(expected_text: str, actual_text: str, lead_tolerance: float) -> None:
    """Raises AssertionError naming the first family or sample that differs. The lead moves
    with the clock: it may differ by up to `lead_tolerance` seconds."""
    assert written_names(actual_text) == written_names(expected_text), "the families differ (names or order)"
    expected, actual = parsed(expected_text), parsed(actual_text)
    assert list(actual) == list(expected)
    for name, (kind, text, samples) in expected.items():
        got_kind, got_text, got_samples = actual[name]
        assert (got_kind, got_text) == (kind, text), f"{name}: type or help differs"
        assert [s[:2] for s in got_samples] == [s[:2] for s in samples], f"{name}: the series differ"
        for (sample, labels, value), (_, _, got) in zip(samples, got_samples):
            if name == LEAD:
                assert abs(got - value) <= lead_tolerance, f"{sample}{labels}: {got} against {value}"
            else:
                assert float(got) == float(value), f"{sample}{labels}: {got} against {value}"
