"""values.py: what counts as answered, checklist items, partial dates, display text."""

from __future__ import annotations

import pytest

from intake_app.errors import ValidationError
from intake_app.protocol import (
    display_value,
    is_answered,
    normalize_check,
    parse_partial_date,
    status_of,
)


@pytest.mark.parametrize(
    ("value", "answered"),
    [(None, False), ("", False), ("  \n", False), ([], False), ({}, False),
     ({"name": ""}, False), ({"text": " "}, False), ("x", True), (0, True), (False, True),
     (["a"], True), ({"status": "unknown"}, True), ({"status": "declined"}, True),
     ({"status": "done"}, True), ({"name": "Иван"}, True), ({"text": "спорткомплекс"}, True),
     ({"_id": "e1"}, False)],
)
def test_is_answered(value, answered):
    assert is_answered(value) is answered


def test_normalize_check():
    empty = {"status": None, "date": None, "by": None, "note": None}
    assert normalize_check("yes") == {**empty, "status": "done"}
    assert normalize_check("no") == {**empty, "status": "not_done"}
    assert normalize_check("unknown") == {**empty, "status": "unknown"}
    assert normalize_check({"status": "done", "date": "2022-01", "by": "lawyer", "note": "n"}) \
        == {"status": "done", "date": "2022-01", "by": "lawyer", "note": "n"}
    assert normalize_check({"status": "yes"})["status"] == "done"
    assert normalize_check({"status": "declined"})["status"] == "declined"
    assert normalize_check(None) == empty
    assert normalize_check(5) == empty
    assert normalize_check({"status": "done", "date": 5})["date"] is None


def test_status_of():
    assert status_of({"status": "unknown"}) == "unknown"
    assert status_of({"status": "not_done", "date": "2022"}) == "not_done"
    assert status_of("no") is None
    assert status_of({"status": 1}) is None
    assert status_of(None) is None


def test_parse_partial_date():
    assert parse_partial_date("2022") == (2022, None, None)
    assert parse_partial_date("2022-01") == (2022, 1, None)
    assert parse_partial_date("2024-02-29") == (2024, 2, 29)
    for bad in ("2023-02-29", "2022-00", "2022-13-01", "0000", "22-01-01", "2022-01-01T00",
                "2022/01/01", " 2022", "", "２０２２", 2022, None):
        with pytest.raises(ValidationError):
            parse_partial_date(bad)


def test_display_value(sample_v1):
    q = sample_v1.question
    assert display_value(q("victim.sex"), "female", "ru") == "Женский"
    assert display_value(q("victim.sex"), "female", "xx") == "Female"
    assert display_value(q("victim.languages"), ["kk", "ru"], "kk") == "Қазақ тілі, Орыс тілі"
    assert display_value(q("minor.legal_rep_present"), "no", "kk") == "Жоқ"
    assert display_value(q("fme.conducted"), "yes", "en") == "Done"
    assert display_value(q("fme.conducted"), {"status": "not_done", "date": "2022-01",
                                              "by": "investigator", "note": "refused"}, "ru") \
        == "Не проведено, 2022-01, кем: investigator (refused)"
    assert display_value(q("incident.date"), "2022-01", "ru") == "2022-01"
    assert display_value(q("victim.age_at_incident"), 17.0) == "17"
    assert display_value(q("victim.sex"), {"status": "declined"}, "ru") == "Отказ от ответа"
    assert display_value(q("victim.sex"), {"status": "unknown"}, "kk") == "Белгісіз"
    assert display_value(q("lawyer.person"), {"name": "Иванов", "agency": "bar"}) \
        == "Иванов, bar"
    assert display_value(q("incident.city"), {"text": "Орал"}) == "Орал"
    assert display_value(q("incident.city"), "kz.city.uralsk") == "kz.city.uralsk"
    assert display_value(q("incident.city"), "kz.city.uralsk", "kk",
                         places=lambda i, lang: "Орал" if lang == "kk" else None) == "Орал"
    assert display_value(q("episodes"), [{"_id": "a"}, {"_id": "b"}], "ru") == "2 × Эпизод"
    assert display_value(q("evidence.photos"), ["ab" * 32], "en") == "1 attachments"
    assert display_value(q("victim.full_name"), "‮evil") == "‮evil"  # shown safely by the caller
    assert display_value(q("victim.sex"), None) == ""
