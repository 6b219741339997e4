"""Pages of search results and of the text-filtered case list (LIMIT/OFFSET written as
literal integers next to a MATCH: intake_app.cases.search.page_clause)."""

from __future__ import annotations

import pytest

from intake_app.cases.queries import CaseFilter, list_page
from intake_app.cases.search import page_clause, search_cases, write_case_text


def _cases(db, n):
    for seq in range(1, n + 1):
        db.execute(
            "INSERT INTO case_index (seq, case_id, pseudonym, created_at, updated_at)"
            " VALUES (?, ?, ?, '2022-01-01T00:00:00.000Z', ?)",
            (seq, f"case-{seq:03d}", f"P-{seq:03d}", f"2022-02-01T00:{seq:02d}:00.000Z"),
        )
        # Term frequency varies, so rank orders the pages; equal ranks fall back to the id.
        write_case_text(db, seq, ["избили " * (1 + seq % 4) + f"слово{seq}"], [])


def test_search_pages_partition_the_full_result_in_order(db):
    _cases(db, 23)
    everything = [r["id"] for r in search_cases(db, "избили", limit=100)]
    assert len(everything) == 23
    pages = [[r["id"] for r in search_cases(db, "избили", limit=10, offset=o)]
             for o in (0, 10, 20, 30)]  # fmt: skip
    assert [len(p) for p in pages] == [10, 10, 3, 0]
    assert sum(pages, []) == everything


def test_text_filtered_list_pages_partition_the_full_list(db):
    _cases(db, 23)
    text = CaseFilter(text="избили")
    everything = [s.id for s in list_page(db, 0, 100, "updated", text)]
    assert len(everything) == 23
    pages = [[s.id for s in list_page(db, o, 10, "updated", text)] for o in (0, 10, 20)]
    assert sum(pages, []) == everything
    assert list_page(db, -5, -1, "updated", text) == []  # as without a filter: clamped to 0
    assert [s.id for s in list_page(db, 0, 5, "updated", CaseFilter(text="слово7"))] == ["case-007"]


@pytest.mark.parametrize("bad", ["5; DROP TABLE case_index", "1 OFFSET 0 --", 2.5e300j])
def test_page_clause_takes_integers_only(bad):
    with pytest.raises((ValueError, TypeError)):
        page_clause(bad, 0)
    with pytest.raises((ValueError, TypeError)):
        page_clause(10, bad)


def test_page_clause_is_two_integers():
    assert page_clause(50, 0) == "LIMIT 50 OFFSET 0"
    assert page_clause("7", 3) == "LIMIT 7 OFFSET 3"  # int() of digits only
