"""Transcription: entering a paper form after the visit.

Two times are kept apart: when the interview took place (`session.date`, `session.place`,
answers written on paper and signed into the record) and when it was typed in (each
revision's `created_at`, set by the store). `session.transcribed = "yes"` marks the entry
mode in the signed answers, so a coordinator reading the case knows the dates come from paper.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from intake_app.cases.store import CaseStore
from intake_app.errors import ValidationError
from intake_app.field.followups import last_day
from intake_app.places.gazetteer import canonical_place

DATE = "session.date"
PLACE = "session.place"
TRANSCRIBED = "session.transcribed"


@dataclass(frozen=True)
class EntryFacts:
    """When and where the interview happened, and when it was entered."""

    interview_date: str | None
    interview_place: str
    transcribed: bool
    entered_at: str | None  # the first revision's created_at (UTC)
    last_changed_at: str | None


def start_answers(interview_date: str, place: Any = None, *,
                  today: dt.date | None = None) -> dict[str, Any]:
    """The answers a transcription starts from: the visit's date and place, and the mode.

    The date may be partial (a year, a month) as written on paper, but never after today:
    a date in the future is a slip of the pen, refused with a message.
    """
    day = last_day(interview_date) if isinstance(interview_date, str) else None
    if day is None:
        raise ValidationError(
            "Give the date of the visit as written on the form (YYYY-MM-DD, YYYY-MM or YYYY).")
    first_day = dt.date(*[int(p) for p in (interview_date.split("-") + ["1", "1"])[:3]])
    if first_day > (today or dt.date.today()):
        raise ValidationError("The date of the visit is after today; check the paper form.")
    answers: dict[str, Any] = {DATE: interview_date, TRANSCRIBED: "yes"}
    if place is not None:
        answers[PLACE] = place
    return answers


def entry_facts(store: CaseStore, case_id: str, lang: str = "en") -> EntryFacts:
    """Interview date and place (from the answers) beside the entry times (from history)."""
    record = store.get(case_id)
    history = store.history(case_id)
    times = sorted(entry.created_at for entry in history)
    answers = record.answers
    date = answers.get(DATE)
    _place_id, place_text = canonical_place(answers.get(PLACE), lang)
    return EntryFacts(
        interview_date=date if isinstance(date, str) else None,
        interview_place=place_text,
        transcribed=answers.get(TRANSCRIBED) == "yes",
        entered_at=times[0] if times else None,
        last_changed_at=times[-1] if times else None,
    )
