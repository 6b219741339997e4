"""Realistic synthetic cases for trying the application and for benchmarks.

Deterministic: the same seed and count give the same case ids, answers and time stamps
(`random.Random(seed)`, a fixed time base). The "coalition" profile reproduces the figures
the Kazakhstani NGO Coalition against Torture published for the January 2022 events
(seeds/002): with `--cases 190` (the documented invocation is `demo --cases 190 --seed 2022`)
exactly 190 complaints, 178 by men and 12 by women, 13 by minors, and 104 terminated
investigations: Taraz 33 of 33, Almaty 31 of 46, Kyzylorda 11 of 11, 6 each in Shymkent,
Ekibastuz and Uralsk, 5 in Aktobe, 3 in Kostanay, 1 each in Ust-Kamenogorsk, Semey and
Karaganda (the other city totals are fixed in demo_text.COALITION_CITIES). Any other count
keeps these proportions (largest-remainder rounding), whatever the seed.

Answers are fitted to the protocol that will record them: a question or option the
protocol does not have is left out, so demo cases always validate.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from intake_app.cases import demo_text as words
from intake_app.progress import CancelToken, Progress

COALITION_SEED = 2022
COALITION_CASES = 190
TIME_BASE = datetime(2022, 3, 1, 9, 0, tzinfo=UTC)
BATCH_SIZE = 2000


@dataclass(frozen=True)
class DemoCase:
    case_id: str
    answers: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class _Profile:
    city: str
    code: str
    terminated: bool
    sex: str
    minor: bool


def apportion(weights: list[int], n: int) -> list[int]:
    """Split n in proportion to weights (largest remainder, ties to the earlier weight)."""
    total = sum(weights)
    if total <= 0 or n <= 0:
        return [0 for _ in weights]
    exact = [w * n / total for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _profiles(n: int, rng: random.Random) -> list[_Profile]:
    cells: list[tuple[str, str, bool]] = []
    weights: list[int] = []
    for city, code, total, terminated in words.COALITION_CITIES:
        cells += [(city, code, True), (city, code, False)]
        weights += [terminated, total - terminated]
    places: list[tuple[str, str, bool]] = []
    for cell, count in zip(cells, apportion(weights, n), strict=True):
        places += [cell] * count
    men, women = apportion([words.COALITION_MEN, words.COALITION_WOMEN], n)
    minors, adults = apportion([words.COALITION_MINORS, COALITION_CASES - words.COALITION_MINORS],
                               n)  # fmt: skip
    sexes = ["male"] * men + ["female"] * women
    ages = [True] * minors + [False] * adults
    rng.shuffle(places)
    rng.shuffle(sexes)
    rng.shuffle(ages)
    return [
        _Profile(city, code, terminated, sex, minor)
        for (city, code, terminated), sex, minor in zip(places, sexes, ages, strict=True)
    ]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _name(rng: random.Random, sex: str, citizenship: str) -> str:
    if citizenship == "KG":
        first, last = rng.choice(words.KYRGYZ_NAMES)
        return f"{last} {first}"
    first = rng.choice(words.MALE_FIRST if sex == "male" else words.FEMALE_FIRST)
    last = rng.choice(words.SURNAMES)
    if sex == "female" and last[-2:] in ("ов", "ев", "ин"):
        last += "а"
    return f"{last} {first}"


def _check(rng: random.Random, done_share: float, incident_day: int) -> Any:
    if rng.random() >= done_share:
        return _pick(rng, [("no", 8), ("unknown", 2)])
    delay = rng.choice([2, 5, 12, 21, 35, 48])
    when = datetime(2022, 1, incident_day) + timedelta(days=delay)
    note = "проведена с опозданием" if delay > 10 else "проведена"
    return {"status": "done", "date": when.strftime("%Y-%m-%d"), "note": note}


def _episode(rng: random.Random, profile: _Profile, day: int, place: str, agency: str,
             methods: list[str]) -> dict[str, Any]:  # fmt: skip
    return {
        "_id": _uuid(rng),
        "place": words.PLACES[place][0],
        "city": profile.city,
        "date": f"2022-01-{day:02d}",
        "frequency": rng.choice(["once", "several", "daily"]),
        "methods": methods + (["threat_family"] if "threat_death" in methods else []),
        "perpetrators": [
            {
                "_id": _uuid(rng),
                "person": {"description": rng.choice(["в форме, без знаков различия",
                                                      "в масках", "в гражданской одежде"])},
                "agency": agency,
                "role": "direct",
            }
        ],
        "purpose": ["confession"],
    }  # fmt: skip


def _detention(rng: random.Random, profile: _Profile, day: int, place: str) -> dict[str, Any]:
    return {
        "_id": _uuid(rng),
        "type": words.PLACES[place][1],
        "place": words.PLACES[place][0],
        "city": profile.city,
        "from": f"2022-01-{day:02d}",
        "ill_treated_here": "yes",
    }


def _answers(rng: random.Random, profile: _Profile, number: int) -> dict[str, Any]:
    citizenship = _pick(rng, [("KZ", 95), ("KG", 3), ("RU", 1), ("UZ", 1)])
    day = rng.randint(5, 12)
    agency = _pick(rng, [("police", 70), ("knb", 20), ("army", 10)])
    place = _pick(rng, [("police", 35), ("ivs", 25), ("sizo", 15), ("knb", 10), ("sports", 15)])
    methods = sorted(
        {"beating"} | set(rng.sample(sorted(words.METHODS), k=rng.randint(0, 3))),
        key=list(words.METHODS).index,
    )
    fakes = rng.random() < 0.06
    landmark = rng.randrange(len(words.LANDMARKS))
    language = "kk" if rng.random() < 0.4 else "ru"
    date_text = f"{day:02d}.01.2022"
    write = words.narrative_kk if language == "kk" else words.narrative_ru
    lawyer = _pick(rng, [("state_appointed", 55), ("private", 25), ("ngo", 10), ("none", 5),
                         ("unknown", 5)])  # fmt: skip
    register = _pick(rng, [("erdr", 60), ("kui", 35), ("unknown", 5)])
    status = "terminated" if profile.terminated else _pick(
        rng, [("pending", 50), ("in_court", 20), ("verdict", 5), ("not_filed", 15), ("unknown", 10)]
    )  # fmt: skip
    age = rng.randint(14, 17) if profile.minor else rng.randint(18, 64)
    answers: dict[str, Any] = {
        "session.date": (TIME_BASE + timedelta(days=number % 280)).strftime("%Y-%m-%d"),
        "session.language": language,
        "consent.interview": "yes",
        "consent.share.coalition": _pick(rng, [("named", 6), ("anonymous", 4)]),
        "consent.share.lawyer": _pick(rng, [("named", 7), ("no", 2), ("unknown", 1)]),
        "consent.share.un_sr": _pick(rng, [("anonymous", 5), ("named", 2), ("no", 3)]),
        "victim.full_name": _name(rng, profile.sex, citizenship),
        "victim.pseudonym": f"{profile.code}-{number + 1:05d}",
        "victim.sex": profile.sex,
        "victim.age_at_incident": age,
        "victim.citizenship": citizenship,
        "incident.date": f"2022-01-{day:02d}",
        "incident.city": profile.city,
        "incident.context": ["january_2022", "protest"],
        "incident.narrative": write(
            date_text, agency, landmark, place, methods, profile.city, fakes
        ),  # fmt: skip
        "apprehension.agency": agency,
        "episodes": [_episode(rng, profile, day, place, agency, methods)],
        "lawyer.type": lawyer,
        "fme.requested": _pick(rng, [("yes", 5), ("no", 4), ("unknown", 1)]),
        "fme.conducted": _check(rng, 0.35, day),
        "fppe.conducted": _pick(rng, [("no", 9), ("unknown", 1)]),
        "complaint.filed": "yes",
        "complaint.register": register,
        "complaint.isd_referral": _pick(rng, [("yes", 4), ("no", 4), ("unknown", 2)]),
        "investigation.status": status,
        "investigation.false_info_threat": "yes" if fakes else "no",
        "protection.measures_offered": _pick(rng, [("no", 9), ("unknown", 1)]),
    }
    answers["detention.places"] = [_detention(rng, profile, day, place)]
    if status == "terminated":
        answers["investigation.termination_grounds"] = (
            "plea_bargain" if profile.city == "kz.city.kyzylorda"
            else _pick(rng, [("insufficient_evidence", 6), ("no_corpus_delicti", 4)])
        )  # fmt: skip
    if profile.city == "kz.city.taraz" and rng.random() < 0.2:
        answers["protection.perpetrator_in_charge"] = "yes"
    if citizenship != "KZ":
        answers["victim.consular_offered"] = "no"
    if lawyer == "state_appointed":
        answers["lawyer.identified"] = _pick(rng, [("no", 6), ("yes", 3), ("unknown", 1)])
        if answers["lawyer.identified"] == "no":
            answers["lawyer.complaint_about_lawyer"] = "impossible_unidentified"
    if profile.minor:
        answers["minor.legal_rep_present"] = _pick(rng, [("no", 7), ("yes", 2), ("unknown", 1)])
        answers["minor.juvenile_inspector_present"] = _pick(rng, [("no", 8), ("yes", 2)])
        answers["minor.psychologist_present"] = _pick(rng, [("no", 9), ("yes", 1)])
    return answers


def fit_answers(protocol: Any, answers: dict[str, Any]) -> dict[str, Any]:
    """Keep only the questions and option values the protocol has."""
    if protocol is None:
        return answers
    fitted: dict[str, Any] = {}
    for qid, value in answers.items():
        question = protocol.question(qid)
        if question is not None and not question.retired:
            kept = _fit_value(question, value)
            if kept is not None:
                fitted[qid] = kept
    return fitted


def _fit_value(question: Any, value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"status"}:
        return value
    if question.type == "choice":
        return value if question.option(value) is not None else None
    if question.type == "multichoice":
        kept = [v for v in value if question.option(v) is not None]
        return kept or None
    if question.type == "group":
        items = []
        for item in value:
            fitted = {"_id": item["_id"]}
            for key, child_value in item.items():
                child = question.child(key)
                if key != "_id" and child is not None:
                    kept = _fit_value(child, child_value)
                    if kept is not None:
                        fitted[key] = kept
            items.append(fitted)
        return items
    return value


def plan(n: int, seed: int) -> list[_Profile]:
    """The place, sex, age group and outcome of each of the n cases (cheap, in order)."""
    return _profiles(n, random.Random(seed))


def _case_rng(seed: int, number: int) -> random.Random:
    # One stream per case (a string seed is hashed with SHA-512, stable across runs and
    # platforms), so any case can be made alone and a process pool gives the same cases.
    return random.Random(f"intake-demo-v2:{seed}:{number}")


def case_id_for(seed: int, number: int) -> str:
    """The id of case `number` of seed `seed`, without making the case."""
    return _uuid(_case_rng(seed, number))


def created_at_for(number: int) -> str:
    """The entry time of case `number`: fixed by the number, never by the clock."""
    return (TIME_BASE + timedelta(minutes=17 * number)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def demo_case(seed: int, number: int, profile: _Profile, protocol: Any = None) -> DemoCase:
    """Case `number` of seed `seed` (its profile from `plan`), fitted to `protocol`."""
    rng = _case_rng(seed, number)
    case_id = _uuid(rng)
    answers = fit_answers(protocol, _answers(rng, profile, number))
    return DemoCase(case_id, answers, created_at_for(number))


def generate(n: int, seed: int, protocol: Any = None) -> list[DemoCase]:
    """The demo cases for (n, seed), fitted to `protocol` when given."""
    return [demo_case(seed, number, profile, protocol)
            for number, profile in enumerate(plan(n, seed))]  # fmt: skip


@dataclass(frozen=True)
class DemoResult:
    created: int
    skipped: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.created / self.seconds if self.seconds > 0 else 0.0


def insert_demo(
    store: Any,
    n: int,
    seed: int,
    *,
    batch_size: int = BATCH_SIZE,
    workers: int | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> DemoResult:
    """Generate and store demo cases, a few thousand per transaction, made in a process
    pool for large counts (`workers`: None = one per core when it pays, 0 = here). Cases
    already in the vault (same seed run twice) are skipped. A cancel keeps the batches
    already committed."""
    from intake_app.cases import demo_build  # it imports this module

    started = time.perf_counter()
    created = demo_build.build(store, n, seed, workers=workers, batch_size=batch_size,
                               progress=progress, cancel=cancel)  # fmt: skip
    return DemoResult(created, n - created, time.perf_counter() - started)
