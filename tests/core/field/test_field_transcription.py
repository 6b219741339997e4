"""Transcription of a paper form: the visit's date and place are kept apart from the entry
time; and places typed in three spellings are one city in the statistics."""

from __future__ import annotations

import datetime as dt

import pytest

from intake_app.cases.store import CaseStore
from intake_app.errors import ValidationError
from intake_app.field.transcription import entry_facts, start_answers
from intake_app.places.gazetteer import Gazetteer
from intake_app.reports.stats import compute_stats

BASE = {"consent.interview": "yes", "victim.pseudonym": "Р-11", "victim.sex": "female",
        "incident.date": "2022-01-05"}
TODAY = dt.date(2024, 5, 15)


def test_interview_date_differs_from_entry_time_and_both_are_kept(vault) -> None:  # noqa: ANN001
    store = CaseStore(vault)
    answers = {**BASE, **start_answers("2022-01-10", "kz.city.uralsk", today=TODAY)}
    case = store.new_case(answers)
    store.save(case, {**answers, "victim.sex": "male"})  # later correction, same visit
    facts = entry_facts(store, case, "kk")
    assert facts.interview_date == "2022-01-10"
    assert facts.interview_place == "Орал"
    assert facts.transcribed is True
    assert facts.entered_at is not None and facts.last_changed_at is not None
    assert facts.entered_at[:10] == dt.datetime.now(dt.UTC).date().isoformat()
    assert facts.entered_at[:10] != facts.interview_date
    assert facts.last_changed_at >= facts.entered_at
    # the visit date is part of the signed answers, the entry time of each revision
    assert store.get(case).answers["session.date"] == "2022-01-10"
    assert len(store.history(case)) == 2


def test_a_live_interview_is_not_marked_transcribed(vault) -> None:  # noqa: ANN001
    store = CaseStore(vault)
    case = store.new_case(BASE)
    facts = entry_facts(store, case)
    assert facts.transcribed is False and facts.interview_date is None
    assert facts.interview_place == ""


@pytest.mark.parametrize("date", ["2024-05-16", "2025", "2024-06", "10.01.2022", "", "2023-02-30"])
def test_a_visit_date_in_the_future_or_malformed_is_refused(date: str) -> None:
    with pytest.raises(ValidationError):
        start_answers(date, today=TODAY)


def test_partial_visit_dates_from_paper_are_accepted() -> None:
    assert start_answers("2024-05", today=TODAY)["session.date"] == "2024-05"
    assert start_answers("2022", {"text": "СИЗО, Орал"}, today=TODAY) == {
        "session.date": "2022", "session.place": {"text": "СИЗО, Орал"},
        "session.transcribed": "yes"}


def test_three_spellings_of_uralsk_are_one_city_in_stats(vault) -> None:  # noqa: ANN001
    store = CaseStore(vault)
    g = Gazetteer.load()
    # what the interview's place editor stores for each spelling typed
    for typed in ("Уральск", "Орал", "Uralsk"):
        place = g.resolve(typed)
        assert place is not None and place.id == "kz.city.uralsk"
        store.new_case({**BASE, "incident.city": place.id})
    store.new_case({**BASE, "incident.city": {"text": "орал"}})  # free text, same city
    stats = compute_stats(vault.conn)
    assert stats["by_city"] == {"kz.city.uralsk": stats["by_city"]["kz.city.uralsk"]}
    assert stats["by_city"]["kz.city.uralsk"]["cases"] == 4
