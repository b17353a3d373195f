"""The bounded per-segment cache behind posting sets and postings."""

from __future__ import annotations

from dataclasses import dataclass

from oer_portal.search.docsets import SegmentCache


@dataclass
class FakeSegment:
    name: str

    def segment_id(self) -> str:
        return self.name


@dataclass
class FakeReader:
    """Only what the cache asks of a reader: which segment it reads."""

    name: str

    def segment(self) -> FakeSegment:
        return FakeSegment(self.name)


def test_least_recently_used_values_go_once_the_postings_exceed_the_capacity():
    cache: SegmentCache[frozenset[int]] = SegmentCache(capacity=5)
    reader = FakeReader("a")
    computed: list[str] = []

    def value(word: str, size: int):
        def compute() -> frozenset[int]:
            computed.append(word)
            return frozenset(range(size))
        return cache.get(reader, ("body", word), compute)

    value("x", 2)
    value("y", 2)
    value("x", 2)  # a hit: x is now the most recently used
    value("z", 2)  # 6 postings: y goes
    assert computed == ["x", "y", "z"]
    value("x", 2)
    value("y", 2)
    assert computed == ["x", "y", "z", "y"]


def test_values_above_the_largest_are_returned_but_not_kept():
    cache: SegmentCache[frozenset[int]] = SegmentCache(capacity=100, largest=3)
    calls = []
    for _ in range(2):
        assert cache.get(FakeReader("a"), ("w",),
                         lambda: calls.append(1) or frozenset(range(4))) == frozenset(range(4))
    assert len(calls) == 2


def test_forget_drops_the_values_of_segments_merged_away():
    cache: SegmentCache[frozenset[int]] = SegmentCache(capacity=100)
    calls = []

    def get(segment: str) -> frozenset[int]:
        return cache.get(FakeReader(segment), ("w",),
                         lambda: calls.append(segment) or frozenset({1}))

    get("old")
    get("new")
    cache.forget({"new"})
    get("old")
    get("new")
    assert calls == ["old", "new", "old"]
