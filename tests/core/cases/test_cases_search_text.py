"""Full-text search: safe query building and the Kazakh/Russian tokenizer behaviour."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake_app.cases.search import build_match, search_cases, write_case_text


def _case(db, seq, case_id, body, protected="", pseudonym=None):
    db.execute(
        "INSERT INTO case_index (seq, case_id, pseudonym, created_at, updated_at)"
        " VALUES (?, ?, ?, '2022-01-01T00:00:00.000Z', ?)",
        (seq, case_id, pseudonym, f"2022-02-{seq:02d}T00:00:00.000Z"),
    )
    write_case_text(db, seq, [body], [protected] if protected else [])


def _ids(db, query):
    return sorted(r["id"] for r in search_cases(db, query))


def test_each_term_is_quoted_and_the_last_is_a_prefix():
    assert build_match("избили  в ИВС") == '"избили" "в" "ИВС"*'


@pytest.mark.parametrize(
    "query",
    ["body:NEAR(a b)", "a OR b", '"unbalanced', "^start", "x AND NOT y", "*", 'a"b', "(a)"],
)
def test_fts_syntax_from_the_user_is_never_syntax(db, query):
    _case(db, 1, "c1", "a b OR AND NOT start x y")
    search_cases(db, query)  # must not raise: every term is a quoted phrase


def test_query_of_only_punctuation_or_emoji_finds_nothing(db):
    _case(db, 1, "c1", "текст")
    assert build_match("... 👩‍👩‍👧 !!") is None
    assert search_cases(db, "... !!") == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_user_text_is_a_valid_query(query):
    import sqlcipher3

    conn = sqlcipher3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize='unicode61 remove_diacritics 0')")
    conn.execute("INSERT INTO t VALUES ('қайрат ұрды')")
    match = build_match(query)
    if match is not None:
        conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,)).fetchall()


def test_kazakh_search_folds_case_of_kazakh_letters(db):
    _case(db, 1, "upper", "ҚАЙРАТ келді")
    _case(db, 2, "lower", "қайрат келді")
    _case(db, 3, "other", "Айдар келді")
    assert _ids(db, "Қайрат") == ["lower", "upper"]
    assert _ids(db, "қАЙРАТ") == ["lower", "upper"]


def test_kazakh_letters_are_not_folded_to_russian_ones(db):
    _case(db, 1, "kk", "оны ұрды")
    _case(db, 2, "ru", "урды")
    assert _ids(db, "ұрды") == ["kk"]
    assert _ids(db, "урды") == ["ru"]


def test_latin_kazakh_letters_are_not_folded(db):
    _case(db, 1, "latin", "Öskemen")
    assert _ids(db, "oskemen") == []
    assert _ids(db, "öskemen") == ["latin"]


def test_russian_search_with_prefix_on_last_term(db):
    _case(db, 1, "c1", "Меня избили дубинками в ИВС Тараза")
    _case(db, 2, "c2", "В СИЗО угрожали")
    assert _ids(db, "избили дубин") == ["c1"]
    assert _ids(db, "ивс") == ["c1"]
    assert _ids(db, "избили сизо") == []


def test_protected_text_is_searchable_but_results_show_pseudonyms(db):
    _case(db, 1, "c1", "рассказ", protected="Нурлан Сапаров", pseudonym="N-17")
    results = search_cases(db, "Сапаров")
    assert results == [
        {
            "id": "c1",
            "pseudonym": "N-17",
            "updated_at": "2022-02-01T00:00:00.000Z",
            "red_flags": [],
            "conflict": False,
        }
    ]
    assert "Сапаров" not in repr(results)


def test_retracted_cases_are_not_found(db):
    _case(db, 1, "c1", "слово")
    db.execute("UPDATE case_index SET retracted = 1")
    assert search_cases(db, "слово") == []


def test_rewriting_a_case_text_replaces_the_old_text(db):
    _case(db, 1, "c1", "старое")
    write_case_text(db, 1, ["новое"], [])
    assert _ids(db, "старое") == [] and _ids(db, "новое") == ["c1"]
