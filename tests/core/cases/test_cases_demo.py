"""Demo data: deterministic, valid under torture-intake v1, and the coalition figures exact."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from intake_app.cases.demo import apportion, generate, insert_demo
from intake_app.cases.demo_text import COALITION_CITIES
from intake_app.cases.protocols import ProtocolShelf
from intake_app.cases.store import CaseStore
from intake_app.protocol.loader import load_protocol

KAZAKH_LETTERS = re.compile("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")


@pytest.fixture(scope="module")
def protocol():
    return load_protocol("torture-intake")


def test_apportion_is_exact_and_proportional():
    assert apportion([178, 12], 190) == [178, 12]
    assert apportion([178, 12], 380) == [356, 24]
    assert sum(apportion([33, 31, 11, 7], 1000)) == 1000
    assert apportion([1, 1], 0) == [0, 0]


def test_same_seed_gives_same_case_ids_and_answers(protocol):
    first = generate(60, 7, protocol)
    again = generate(60, 7, protocol)
    assert [c.case_id for c in first] == [c.case_id for c in again]
    assert [json.dumps(c.answers, sort_keys=True) for c in first] == [
        json.dumps(c.answers, sort_keys=True) for c in again
    ]
    other = generate(60, 8, protocol)
    assert {c.case_id for c in first}.isdisjoint(c.case_id for c in other)


def test_demo_cases_validate_and_nothing_is_dropped(protocol):
    raw = generate(300, 11)
    fitted = generate(300, 11, protocol)
    for case, unfitted in zip(fitted, raw, strict=True):
        assert protocol.validate(case.answers) == []
        assert case.answers == unfitted.answers  # every generated answer fits the protocol


def test_narratives_are_russian_and_kazakh_with_kazakh_letters(protocol):
    cases = generate(190, 2022, protocol)
    narratives = [c.answers["incident.narrative"] for c in cases]
    kazakh = [n for n in narratives if KAZAKH_LETTERS.search(n)]
    assert 30 < len(kazakh) < 160
    assert any("ИВС" in n or "СИЗО" in n for n in narratives)
    assert any(c.answers["victim.citizenship"] == "KG" for c in cases)


def _figures(conn):
    sexes = dict(conn.execute("SELECT sex, count(*) FROM case_index GROUP BY sex").fetchall())
    minors = conn.execute("SELECT count(*) FROM case_index WHERE minor = 1").fetchone()[0]
    by_city = {
        city: (total, terminated)
        for city, total, terminated in conn.execute(
            "SELECT city, count(*), sum(status = 'terminated') FROM case_index GROUP BY city"
        )
    }
    return sexes, minors, by_city


def test_coalition_profile_reproduces_the_published_figures(vault):
    store = CaseStore(vault, shelf=ProtocolShelf())
    result = insert_demo(store, 190, 2022)
    assert (result.created, result.skipped) == (190, 0)
    sexes, minors, by_city = _figures(vault.conn)
    assert sexes == {"male": 178, "female": 12}
    assert minors == 13
    assert by_city["kz.city.taraz"] == (33, 33)
    assert by_city["kz.city.almaty"] == (46, 31)
    assert by_city["kz.city.kyzylorda"] == (11, 11)
    terminated = {city: t for city, (_, t) in by_city.items()}
    for city in ("kz.city.shymkent", "kz.city.ekibastuz", "kz.city.uralsk"):
        assert terminated[city] == 6
    assert terminated["kz.city.aktobe"] == 5 and terminated["kz.city.kostanay"] == 3
    for city in ("kz.city.ust_kamenogorsk", "kz.city.semey", "kz.city.karaganda"):
        assert terminated[city] == 1
    assert sum(terminated.values()) == 104 and sum(t for t, _ in by_city.values()) == 190
    assert by_city == {city: (total, term) for city, _, total, term in COALITION_CITIES}
    again = insert_demo(store, 190, 2022)
    assert (again.created, again.skipped) == (0, 190)


def test_other_counts_keep_the_proportions(protocol):
    cases = generate(1900, 5, protocol)
    sexes = Counter(c.answers["victim.sex"] for c in cases)
    assert sexes == {"male": 1780, "female": 120}
    minors = sum(c.answers["victim.age_at_incident"] < 18 for c in cases)
    assert minors == 130
    taraz = [c for c in cases if c.answers["incident.city"] == "kz.city.taraz"]
    assert len(taraz) == 330
    assert all(c.answers["investigation.status"] == "terminated" for c in taraz)
