"""A small vault of hand-made cases with statistics counted by hand (see EXPECTED).

Cases (torture-intake v1 answers, validated by the real store):
  A  male 30 KZ, "Уральск", 2022-01-06, terminated; FME no, FPPE unknown; state lawyer not
     identified; KUI; ISD yes; no safety measures; January 2022; police episode; IVS.
  B  female 16 KG, "Орал", 2022-01-07, pending; FME done, FPPE no; minor without legal rep;
     ERDR; ISD no; measures offered; January 2022 + protest; two episodes (police twice,
     knb once); IVS and SIZO.
  C  male 17 KZ, "Uralsk", 2022-02, terminated; FME unknown; minor, legal rep unknown;
     register unknown; ISD unknown; army context, death in custody; army episode.
  D  sex unknown, no age, stateless (XX), free text "Жаңатас ауылы", 2021 (year only),
     verdict; medical care in custody asked for and not given.
  E  male 40 KZ, free text "  ЖАҢАТАС   ауылы ", 2022-01-20, terminated; no examination on
     admission to custody.
  F  male 25 KZ, Medeu district of Almaty, 2022-01-05, no status; lawyer identified unknown.
  G  male 50 KZ, no place, incident date unknown, status unknown.
  H  retracted (male, Уральск, terminated): must not be counted at all.
  I  conflict: two heads; the latest (male 33, Taraz, 2022-03-01, pending) is counted, the
     other (female, terminated) is not.
Markers in names, narratives and notes must never appear in the statistics.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from intake_app.cases.store import CaseStore

SECRET_NAME = "Секретов Тайна Именовна"
SECRET_TEXT = "NARRATIVE-MARKER-7f3a"
SECRET_NOTE = "NOTE-MARKER-91bc"


def _id() -> str:
    return str(uuid.uuid4())


def base(pseudonym: str, sex: Any, **more: Any) -> dict[str, Any]:
    answers = {
        "consent.interview": "yes",
        "victim.pseudonym": pseudonym,
        "victim.full_name": f"{SECRET_NAME} {pseudonym}",
        "victim.sex": sex,
        "incident.narrative": f"{SECRET_TEXT} {pseudonym}",
        "victim.contact": f"{SECRET_NOTE} +7 700 000 00 00",
    }
    answers.update(more)
    return answers


def episode(*agencies: str) -> dict[str, Any]:
    return {
        "_id": _id(),
        "date": "2022-01-06",
        "methods": ["beating"],
        "perpetrators": [
            {"_id": _id(), "agency": a, "person": {"name": SECRET_NAME, "description": SECRET_NOTE}}
            for a in agencies
        ],
    }


def detention(kind: str) -> dict[str, Any]:
    return {"_id": _id(), "type": kind, "note": SECRET_NOTE}


CASES: dict[str, dict[str, Any]] = {
    "A": base(
        "A-1", "male", **{
            "victim.age_at_incident": 30, "victim.citizenship": "KZ",
            "incident.city": {"text": "Уральск"}, "incident.date": "2022-01-06",
            "incident.context": ["january_2022"], "investigation.status": "terminated",
            "fme.conducted": "no", "fppe.conducted": {"status": "unknown"},
            "lawyer.type": "state_appointed", "lawyer.identified": "no",
            "complaint.filed": "yes", "complaint.register": "kui", "complaint.isd_referral": "yes",
            "protection.measures_offered": "no",
            "episodes": [episode("police")], "detention.places": [detention("ivs")],
        },
    ),
    "B": base(
        "B-2", "female", **{
            "victim.age_at_incident": 16, "victim.citizenship": "KG",
            "incident.city": {"text": "Орал"}, "incident.date": "2022-01-07",
            "incident.context": ["january_2022", "protest"], "investigation.status": "pending",
            "fme.conducted": {"status": "done", "date": "2022-01-09", "note": SECRET_NOTE},
            "fppe.conducted": "no", "minor.legal_rep_present": "no",
            "complaint.filed": "yes", "complaint.register": "erdr", "complaint.isd_referral": "no",
            "protection.measures_offered": "yes",
            "episodes": [episode("police"), episode("police", "knb")],
            "detention.places": [detention("ivs"), detention("sizo"), detention("ivs")],
        },
    ),
    "C": base(
        "C-3", "male", **{
            "victim.age_at_incident": 17, "victim.citizenship": "KZ",
            "incident.city": {"text": "Uralsk"}, "incident.date": "2022-02",
            "incident.context": ["army"], "incident.death_in_custody": "yes",
            "investigation.status": "terminated", "fme.conducted": "unknown",
            "minor.legal_rep_present": "unknown", "complaint.register": "unknown",
            "complaint.isd_referral": "unknown", "episodes": [episode("army")],
        },
    ),
    "D": base(
        "D-4", {"status": "unknown"}, **{
            "victim.citizenship": "XX", "incident.city": {"text": "Жаңатас ауылы"},
            "incident.date": "2021", "investigation.status": "verdict",
            "custody_medical.requested": "yes", "custody_medical.given": "no",
        },
    ),
    "E": base(
        "E-5", "male", **{
            "victim.age_at_incident": 40, "victim.citizenship": "KZ",
            "incident.city": {"text": "  ЖАҢАТАС   ауылы "}, "incident.date": "2022-01-20",
            "investigation.status": "terminated", "custody_medical.admission_exam": "no",
        },
    ),
    "F": base(
        "F-6", "male", **{
            "victim.age_at_incident": 25, "victim.citizenship": "KZ",
            "incident.city": "kz.district.almaty.medeu", "incident.date": "2022-01-05",
            "lawyer.type": "private", "lawyer.identified": "unknown",
        },
    ),
    "G": base(
        "G-7", "male", **{
            "victim.age_at_incident": 50, "victim.citizenship": "KZ",
            "incident.date": {"status": "unknown"}, "investigation.status": "unknown",
        },
    ),
    "H": base(
        "H-8", "male", **{
            "victim.age_at_incident": 44, "incident.city": {"text": "Уральск"},
            "incident.date": "2022-01-06", "investigation.status": "terminated",
        },
    ),
}  # fmt: skip

I_OLD = base("I-9", "female", **{
    "victim.age_at_incident": 33, "incident.city": {"text": "Тараз"}, "incident.date": "2022-03-01",
    "investigation.status": "terminated",
})  # fmt: skip
I_NEW = base("I-9", "male", **{
    "victim.age_at_incident": 33, "incident.city": {"text": "Тараз"}, "incident.date": "2022-03-01",
    "investigation.status": "pending",
})  # fmt: skip

PERIOD_KEYS = (
    "terminated", "fme_not_conducted", "fppe_not_conducted", "lawyer_not_identified",
    "minors_without_representative", "kui_only", "isd_referrals", "safety_measures_offered",
)  # fmt: skip
ZERO_PERIOD = dict.fromkeys(PERIOD_KEYS, 0)


def period(cases: int, **counts: int) -> dict[str, int]:
    return {"cases": cases, **ZERO_PERIOD, **counts}


EXPECTED: dict[str, Any] = {
    "cases": 8,
    "by_sex": {"male": 6, "female": 1, "other": 0, "unknown": 1},
    "by_status": {"terminated": 3, "pending": 2, "verdict": 1, "unknown": 1, "not_recorded": 1},
    "minors": 2, "age_unknown": 1, "foreigners": 2, "terminated": 3,
    "by_city": {
        "kz.city.uralsk": {"cases": 3, "terminated": 2},
        "жаңатас ауылы": {"cases": 2, "terminated": 1},
        "kz.city.almaty": {"cases": 1, "terminated": 0},
        "kz.city.taraz": {"cases": 1, "terminated": 0},
    },
    "city_unknown": 1, "terminated_city_unknown": 0,
    "by_region": {
        "kz.region.west_kazakhstan": {"cases": 3, "terminated": 2},
        "kz.region.almaty_city": {"cases": 1, "terminated": 0},
        "kz.region.jambyl": {"cases": 1, "terminated": 0},
    },
    "region_unknown": 3, "terminated_region_unknown": 1,
    "fme_not_conducted": 1, "fme_unknown": 1, "fme_conducted": 1,
    "fppe_not_conducted": 1, "fppe_unknown": 1, "fppe_conducted": 0,
    "lawyer_not_identified": 1, "lawyer_identified_unknown": 1,
    "minors_without_representative": 1, "minors_representative_unknown": 1,
    "complaints_registered_erdr": 1, "kui_only": 1, "complaint_register_unknown": 1,
    "isd_referrals": 1, "isd_referral_unknown": 1,
    "safety_measures_offered": 1, "safety_measures_not_offered": 1, "safety_measures_unknown": 0,
    "by_period": {
        "2021": period(1),
        "2022-01": period(4, terminated=2, fme_not_conducted=1, fppe_not_conducted=1,
                          lawyer_not_identified=1, minors_without_representative=1, kui_only=1,
                          isd_referrals=1, safety_measures_offered=1),
        "2022-02": period(1, terminated=1),
        "2022-03": period(1),
        "unknown": period(1),
    },
    "period_unknown": 1,
    "by_agency": {"police": 2, "knb": 1, "army": 1},
    "by_detention_place_type": {"ivs": 2, "sizo": 1},
    "themes": {"january_2022": 2, "army_hazing": 1, "deaths_in_custody": 1,
               "health_care_in_detention": 2},
}  # fmt: skip


def ticking_clock() -> Callable[[], str]:
    """A clock one second apart per call, so the conflict's latest head is known."""
    ticks: Iterator[int] = iter(range(10**6))

    def now() -> str:
        return f"2023-05-01T10:{(t := next(ticks)) // 60:02d}:{t % 60:02d}.000Z"

    return now


def build(store: CaseStore) -> dict[str, str]:
    """Store the cases; returns case ids by letter. H is marked retracted, I has a conflict."""
    ids = {letter: store.new_case(copy.deepcopy(answers)) for letter, answers in CASES.items()}
    first = store.new_case(copy.deepcopy(I_OLD))
    root = store.history(first)[0].id
    store.save(first, {**copy.deepcopy(I_OLD), "fme.conducted": "yes"})
    store.save(first, copy.deepcopy(I_NEW), base=root)  # concurrent with the one above: latest
    ids["I"] = first
    with store.vault.write() as conn:
        # Retraction (its own issue) is not built yet; the index column it sets exists.
        conn.execute("UPDATE case_index SET retracted = 1 WHERE case_id = ?", (ids["H"],))
    return ids
