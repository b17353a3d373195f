"""Which outbox position a drain may record (``search/indexer.safe_position``)."""

from __future__ import annotations

from datetime import UTC


def test_safe_position_waits_for_a_young_gap_only() -> None:
    from datetime import datetime, timedelta

    from oer_portal.search.indexer import safe_position

    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    young, old = now - timedelta(seconds=5), now - timedelta(seconds=500)
    assert safe_position(10, [(11, young), (12, young)], now, 120) == 12, "no gap"
    assert safe_position(10, [(11, young), (13, young)], now, 120) == 11, "12 may commit"
    assert safe_position(10, [(12, young)], now, 120) == 10
    assert safe_position(10, [(11, old), (13, old), (14, young)], now, 120) == 14, \
        "an old gap was a rollback"
    assert safe_position(10, [(11, young), (13, old)], now, 120) == 13
