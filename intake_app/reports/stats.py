"""Aggregate statistics over the vault's cases, de-identified by construction.

What is counted comes from the categorical answers of each case's head (the latest head when
a case is in conflict, as in the case list) and from the red flags of the case index. The
code reads a fixed list of question ids (`CATEGORICAL_IDS`): never a name, a narrative or a
note. A value reaches the output only as a count under an option word (`male`, `erdr`,
`police`) that matches `_TOKEN`; anything else an imported record may carry is counted as
"other", so no free text can leak into a key. The one exception is a place typed as free
text: it is counted under its normalised spelling, since a coordinator must see it.

Semantics (DESIGN.md "JSON shapes"):
- `*_not_conducted` counts a checklist answered "no" / not done only; an explicit "unknown"
  (or "declined") is counted apart in `*_unknown`; a missing answer is in neither.
- Cities are gazetteer ids (Уральск, Орал and Uralsk are one key); a city district counts
  for its city; free text that names no gazetteer place is kept apart under its normalised
  text (`match_key`). `by_region` joins `by_city` through the gazetteer.
- Retracted cases are left out.
- Themes (the UN Committee against Torture's follow-up themes): `january_2022` (incident
  context), `deaths_in_custody` (death in custody: yes), `health_care_in_detention` (no
  examination on admission, or medical care asked for and not given), `army_hazing`
  (incident context: army).
- `by_agency` and `by_detention_place_type` count cases, not episodes: a case with two
  police episodes counts once under `police`.
- `by_period` is keyed by the incident month ("2022-01"), or the year when only the year is
  known, and "unknown" for undated cases (also counted in `period_unknown`).
- The same vault state gives the same result: no time stamps, sorted keys.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from intake_app.cases import index
from intake_app.errors import UsageError, ValidationError
from intake_app.places import Gazetteer, canonical_place
from intake_app.places.gazetteer import match_key
from intake_app.progress import CancelToken, Progress, check, report
from intake_app.protocol.values import parse_partial_date

THEMES = ("january_2022", "deaths_in_custody", "health_care_in_detention", "army_hazing")
SEXES = ("male", "female", "other", "unknown")

# Every answer statistics may read. Nothing else is ever looked at.
CATEGORICAL_IDS = frozenset({
    "victim.sex", "victim.age_at_incident", "victim.birth_date", "victim.citizenship",
    "incident.date", "incident.city", "incident.context", "incident.death_in_custody",
    "investigation.status", "fme.conducted", "fppe.conducted", "lawyer.identified",
    "minor.legal_rep_present", "complaint.register", "complaint.isd_referral",
    "protection.measures_offered", "custody_medical.admission_exam",
    "custody_medical.requested", "custody_medical.given", "episodes", "detention.places",
})  # fmt: skip
# Inside groups: the only fields read.
_EPISODE_FIELDS = ("perpetrators",)
_PERPETRATOR_FIELDS = ("agency",)
_DETENTION_FIELDS = ("type",)

# Counts at the top level, one per case at most. The first eight are also given by month.
PERIOD_MEASURES = (
    "terminated", "fme_not_conducted", "fppe_not_conducted", "lawyer_not_identified",
    "minors_without_representative", "kui_only", "isd_referrals", "safety_measures_offered",
)  # fmt: skip
MEASURES = (
    *PERIOD_MEASURES, "minors", "foreigners", "age_unknown",
    "fme_conducted", "fme_unknown", "fppe_conducted", "fppe_unknown",
    "lawyer_identified_unknown", "minors_representative_unknown",
    "complaints_registered_erdr", "complaint_register_unknown", "isd_referral_unknown",
    "safety_measures_not_offered", "safety_measures_unknown",
)  # fmt: skip

_TOKEN = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")
_UNKNOWNS = ("unknown", "declined")
_OTHER = "other"


@functools.lru_cache(maxsize=4096)
def _word(text: str) -> str:
    return text if _TOKEN.match(text) else _OTHER


def _token(value: Any) -> str | None:
    """An option word fit to be a key, "other" for any other text, None when absent."""
    if value is None:
        return None
    return _word(value) if isinstance(value, str) else _OTHER


def _scalar(answers: Mapping[str, Any], qid: str, *, check_item: bool = False) -> str | None:
    """The answer as the expression language sees it, reduced to an option word."""
    raw = index.expr_value(answers.get(qid), "check" if check_item else None)
    return _token(raw)


def _items(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, Mapping))


def _date_span(value: Any) -> tuple[date, date] | None:
    """The first and last day a partial date may mean ("2022-01" → Jan 1 .. Jan 31)."""
    if not isinstance(value, str):
        return None
    try:
        year, month, day = parse_partial_date(value)
    except ValidationError:
        return None
    if day is not None:
        assert month is not None
        one = date(year, month, day)
        return one, one
    if month is not None:
        first = date(year, month, 1)
        after = date(year + month // 12, month % 12 + 1, 1)
        return first, after - timedelta(days=1)
    return date(year, 1, 1), date(year, 12, 31)


@dataclass(frozen=True)
class CaseFacts:
    """The categorical facts of one case that statistics count: no names, no free text
    except the place key."""

    sex: str
    place: str | None  # gazetteer id as answered (a district stays a district)
    city: str | None  # gazetteer city id, or normalised free text
    region: str | None
    period: str | None  # "YYYY-MM" or "YYYY"
    span: tuple[date, date] | None
    status: str | None
    measures: frozenset[str]
    agencies: frozenset[str]
    detention_types: frozenset[str]
    themes: frozenset[str]
    red_flags: tuple[str, ...] = ()


def _place(value: Any, g: Gazetteer) -> tuple[str | None, str | None, str | None]:
    """(place id as answered, city key, region id) of an incident place answer."""
    place_id, text = canonical_place(value, gazetteer=g)
    if place_id is None:
        key = match_key(text) if text else ""
        return None, key or None, None
    city = g.city_of(place_id) or place_id
    return place_id, city, g.region_of(place_id)


def _measures(answers: Mapping[str, Any], minor: bool | None) -> set[str]:
    out: set[str] = set()

    def count(qid: str, hits: Mapping[str, str], *, check_item: bool = False) -> None:
        value = _scalar(answers, qid, check_item=check_item)
        if value in _UNKNOWNS:
            value = "unknown"
        if value is not None and value in hits:
            out.add(hits[value])

    count("investigation.status", {"terminated": "terminated"})
    count("fme.conducted", {"done": "fme_conducted", "not_done": "fme_not_conducted",
                            "unknown": "fme_unknown"}, check_item=True)  # fmt: skip
    count("fppe.conducted", {"done": "fppe_conducted", "not_done": "fppe_not_conducted",
                             "unknown": "fppe_unknown"}, check_item=True)  # fmt: skip
    count("lawyer.identified", {"no": "lawyer_not_identified",
                                "unknown": "lawyer_identified_unknown"})  # fmt: skip
    if minor:
        out.add("minors")
        count(
            "minor.legal_rep_present",
            {"no": "minors_without_representative", "unknown": "minors_representative_unknown"},
        )
    elif minor is None:
        out.add("age_unknown")
    count("complaint.register", {"erdr": "complaints_registered_erdr", "kui": "kui_only",
                                 "unknown": "complaint_register_unknown"})  # fmt: skip
    count("complaint.isd_referral", {"yes": "isd_referrals", "unknown": "isd_referral_unknown"})
    count(
        "protection.measures_offered",
        {
            "yes": "safety_measures_offered",
            "no": "safety_measures_not_offered",
            "unknown": "safety_measures_unknown",
        },
    )
    citizenship = answers.get("victim.citizenship")
    if isinstance(citizenship, str) and citizenship.strip() and citizenship.upper() != "KZ":
        out.add("foreigners")
    return out


def _themes(answers: Mapping[str, Any]) -> set[str]:
    context = answers.get("incident.context")
    contexts = set(context) if isinstance(context, list) else set()
    out: set[str] = set()
    if "january_2022" in contexts:
        out.add("january_2022")
    if "army" in contexts:
        out.add("army_hazing")
    if _scalar(answers, "incident.death_in_custody") == "yes":
        out.add("deaths_in_custody")
    admission = _scalar(answers, "custody_medical.admission_exam", check_item=True)
    refused = (_scalar(answers, "custody_medical.requested") == "yes"
               and _scalar(answers, "custody_medical.given") == "no")  # fmt: skip
    if admission == "not_done" or refused:
        out.add("health_care_in_detention")
    return out


def _group_tokens(answers: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    agencies: set[str] = set()
    for episode in _items(answers.get("episodes")):
        for field_id in _EPISODE_FIELDS:
            for perpetrator in _items(episode.get(field_id)):
                for name in _PERPETRATOR_FIELDS:
                    token = _token(index.expr_value(perpetrator.get(name), None))
                    if token is not None:
                        agencies.add(token)
    types: set[str] = set()
    for place in _items(answers.get("detention.places")):
        for name in _DETENTION_FIELDS:
            token = _token(index.expr_value(place.get(name), None))
            if token is not None:
                types.add(token)
    return agencies, types


def facts_of(answers: Mapping[str, Any], red_flags: Iterable[str], g: Gazetteer) -> CaseFacts:
    """Reduce one case's answers to what statistics count (reads only CATEGORICAL_IDS)."""
    picked = {qid: answers[qid] for qid in CATEGORICAL_IDS if qid in answers}
    age = index.age_at_incident(picked)
    minor = None if age is None else age < 18
    sex = _scalar(picked, "victim.sex")
    place, city, region = _place(picked.get("incident.city"), g)
    when = picked.get("incident.date")
    span = _date_span(when)
    # A month ("2022-01"), or the year alone when only the year is known.
    period = None if span is None else str(when)[:7]
    agencies, types = _group_tokens(picked)
    return CaseFacts(
        sex=sex or "not_recorded",
        place=place,
        city=city,
        region=region,
        period=period,
        span=span,
        status=_scalar(picked, "investigation.status"),
        measures=frozenset(_measures(picked, minor)),
        agencies=frozenset(agencies),
        detention_types=frozenset(types),
        themes=frozenset(_themes(picked)),
        red_flags=tuple(sorted({_token(f) or _OTHER for f in red_flags})),
    )


# Filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsFilter:
    """Which cases to count. Dates are partial dates (YYYY, YYYY-MM, YYYY-MM-DD) of the
    incident: `date_from` from the first day it names, `date_to` to the last; a case counts
    only when its whole incident date lies inside (an undated case never does). `city` is a
    gazetteer id or any spelling (a region takes its cities) or free text as typed."""

    date_from: str | None = None
    date_to: str | None = None
    city: str | None = None
    theme: str | None = None

    @property
    def active(self) -> bool:
        return any((self.date_from, self.date_to, self.city, self.theme))


@dataclass(frozen=True)
class _Matcher:
    start: date | None = None
    end: date | None = None
    field: str | None = None  # which CaseFacts attribute the place filter compares
    value: str | None = None
    theme: str | None = None

    def __call__(self, facts: CaseFacts) -> bool:
        if self.start is not None or self.end is not None:
            if facts.span is None:
                return False
            if self.start is not None and facts.span[0] < self.start:
                return False
            if self.end is not None and facts.span[1] > self.end:
                return False
        if self.field is not None and getattr(facts, self.field) != self.value:
            return False
        return self.theme is None or self.theme in facts.themes


def _filter_date(text: str, option: str) -> tuple[date, date]:
    span = _date_span(text.strip())
    if span is None:
        raise UsageError(f"{option}: give a date as YYYY, YYYY-MM or YYYY-MM-DD.")
    return span


def matcher(filters: StatsFilter, g: Gazetteer) -> _Matcher:
    """The predicate for `filters`; UsageError names a bad date, an empty place or theme."""
    start = _filter_date(filters.date_from, "--from")[0] if filters.date_from else None
    end = _filter_date(filters.date_to, "--to")[1] if filters.date_to else None
    if start is not None and end is not None and start > end:
        raise UsageError("The period is empty: --from is after --to.")
    if filters.theme is not None and filters.theme not in THEMES:
        raise UsageError(f"Unknown theme; choose one of: {', '.join(THEMES)}.")
    field_name = value = None
    if filters.city is not None:
        text = filters.city.strip()
        if not text:
            raise UsageError("--city: give a gazetteer id or a place name.")
        place = g.place(text) or g.resolve(text)
        if place is None:
            field_name, value = "city", match_key(text)
        elif place.kind == "region":
            field_name, value = "region", place.id
        elif place.kind == "district":
            field_name, value = "place", place.id
        else:
            field_name, value = "city", place.id
    return _Matcher(start, end, field_name, value, filters.theme)


# Counting --------------------------------------------------------------------------------


@dataclass
class Tally:
    """Counts accumulated case by case; `result()` gives the JSON shape."""

    rules: tuple[str, ...] = ()
    cases: int = 0
    measures: Counter[str] = field(default_factory=Counter)
    sexes: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    cities: dict[str, Counter[str]] = field(default_factory=dict)
    regions: dict[str, Counter[str]] = field(default_factory=dict)
    periods: dict[str, Counter[str]] = field(default_factory=dict)
    agencies: Counter[str] = field(default_factory=Counter)
    detention_types: Counter[str] = field(default_factory=Counter)
    red_flags: Counter[str] = field(default_factory=Counter)
    themes: Counter[str] = field(default_factory=Counter)
    unplaced: Counter[str] = field(default_factory=Counter)

    def add(self, facts: CaseFacts) -> None:
        self.cases += 1
        self.measures.update(facts.measures)
        self.sexes[facts.sex] += 1
        self.statuses[facts.status or "not_recorded"] += 1
        terminated = int("terminated" in facts.measures)
        if facts.city is None:
            self.unplaced["city"] += 1
            self.unplaced["city_terminated"] += terminated
        else:
            place = self.cities.setdefault(facts.city, Counter())
            place["cases"] += 1
            place["terminated"] += terminated
        if facts.region is None:
            self.unplaced["region"] += 1
            self.unplaced["region_terminated"] += terminated
        else:
            region = self.regions.setdefault(facts.region, Counter())
            region["cases"] += 1
            region["terminated"] += terminated
        month = self.periods.setdefault(facts.period or "unknown", Counter())
        month["cases"] += 1
        for measure in facts.measures:
            if measure in PERIOD_MEASURES:
                month[measure] += 1
        self.agencies.update(facts.agencies)
        self.detention_types.update(facts.detention_types)
        self.red_flags.update(facts.red_flags)
        self.themes.update(facts.themes)

    def result(self, g: Gazetteer) -> dict[str, Any]:
        def place_counts(table: Mapping[str, Counter[str]]) -> dict[str, dict[str, int]]:
            return {k: {"cases": c["cases"], "terminated": c["terminated"]}
                    for k, c in sorted(table.items())}  # fmt: skip

        def counts(counter: Counter[str], keys: Iterable[str] = ()) -> dict[str, int]:
            out = dict.fromkeys(keys, 0)
            out.update(counter)
            return dict(sorted(out.items()))

        undated = self.periods.get("unknown", Counter())
        known_places = [k for k in (*self.cities, *self.regions) if g.place(k) is not None]
        out: dict[str, Any] = {
            "cases": self.cases,
            "by_sex": counts(self.sexes, SEXES),
            "by_status": counts(self.statuses),
            "by_city": place_counts(self.cities),
            "by_region": place_counts(self.regions),
            "city_unknown": self.unplaced["city"],
            "region_unknown": self.unplaced["region"],
            "terminated_city_unknown": self.unplaced["city_terminated"],
            "terminated_region_unknown": self.unplaced["region_terminated"],
            "by_period": {
                month: {m: c[m] for m in ("cases", *PERIOD_MEASURES)}
                for month, c in sorted(self.periods.items())
            },
            "period_unknown": undated["cases"],
            "by_agency": counts(self.agencies),
            "by_detention_place_type": counts(self.detention_types),
            "red_flags": counts(self.red_flags, self.rules),
            "themes": counts(self.themes, THEMES),
            "place_names": {
                pid: {lang: g.name(pid, lang) for lang in ("en", "ru", "kk")}
                for pid in sorted(set(known_places))
            },
        }
        for measure in MEASURES:
            out[measure] = self.measures[measure]
        return out


# Ordered as the heads table is stored (its primary key), so SQLite streams rows instead of
# sorting every body in a temporary B-tree (in memory: temp_store is MEMORY in the vault).
# CROSS JOIN fixes heads as the outer loop whatever the planner would guess.
HEADS_QUERY = (
    "SELECT h.case_id, c.red_flags, r.created_at, r.id, r.body FROM heads h"
    " CROSS JOIN case_index c ON c.case_id = h.case_id"
    " CROSS JOIN revisions r ON r.id = h.revision_id"
    " WHERE c.retracted = 0 ORDER BY h.case_id, h.revision_id"
)


def head_answers(
    conn: Any, cancel: CancelToken | None = None
) -> Iterator[tuple[str, dict[str, Any], list[str]]]:
    """(case id, answers of the latest head, red flags) of every case not retracted,
    streamed in case id order; memory holds one case at a time."""
    rows = conn.execute(HEADS_QUERY)
    current: str | None = None
    best: tuple[str, str, bytes] | None = None
    flags_text = "[]"
    count = 0
    for case_id, flags, created_at, rev_id, body in rows:
        if case_id != current:
            if current is not None and best is not None:
                yield current, _answers(best[2]), _flags(flags_text)
            count += 1
            if count % 500 == 0:
                check(cancel)
            current, best, flags_text = case_id, None, flags
        if best is None or (created_at, rev_id) > best[:2]:
            best = (created_at, rev_id, bytes(body))
    if current is not None and best is not None:
        yield current, _answers(best[2]), _flags(flags_text)


def _answers(body: bytes) -> dict[str, Any]:
    answers = json.loads(body).get("answers")
    return answers if isinstance(answers, dict) else {}


def _flags(text: str) -> list[str]:
    try:
        flags = json.loads(text)
    except ValueError:
        return []
    return [f for f in flags if isinstance(f, str)] if isinstance(flags, list) else []


def compute_stats(
    conn: Any,
    filters: StatsFilter | None = None,
    *,
    rules: Iterable[str] = (),
    gazetteer: Gazetteer | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Statistics of the vault's cases (retracted ones left out) as the `stats --json`
    shape. `rules` are the red-flag rule ids to list even at zero (the current protocol's)."""
    g = gazetteer or Gazetteer.load()
    keep = matcher(filters or StatsFilter(), g)
    total = conn.execute("SELECT count(*) FROM case_index WHERE retracted = 0").fetchone()[0]
    tally = Tally(rules=tuple(rules))
    for number, (_case_id, answers, flags) in enumerate(head_answers(conn, cancel), 1):
        facts = facts_of(answers, flags, g)
        if keep(facts):
            tally.add(facts)
        if number % 1000 == 0:
            report(progress, number, total, "stats")
    report(progress, total, total, "stats")
    return tally.result(g)
