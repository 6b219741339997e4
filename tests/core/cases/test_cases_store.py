"""CaseStore over a real vault: revisions, validation, conflicts, index, drafts, import path."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from cases_support import HOSTILE_TEXT, reopen

from intake_app.cases.protocols import ProtocolShelf, protocol_ref
from intake_app.cases.queries import CaseFilter
from intake_app.cases.revision import build_body, make_revision
from intake_app.cases.store import CaseConflict, CaseStore
from intake_app.errors import NotFound, ValidationError

BASE = {
    "victim.pseudonym": "TRZ-001",
    "victim.full_name": "Сапаров Нұрлан",
    "victim.sex": "male",
    "victim.age_at_incident": 34,
    "incident.city": "kz.city.taraz",
    "incident.date": "2022-01-06",
    "incident.narrative": "Меня избили в ИВС Тараза.",
}


def _count_revisions(store):
    return store.vault.conn.execute("SELECT count(*) FROM revisions").fetchone()[0]


def test_new_case_and_show_are_byte_exact_for_hostile_text(store):
    answers = dict(BASE, **{"incident.narrative": HOSTILE_TEXT, "victim.pseudonym": "Ұ‍👩‍⚕️\u202e"})
    case_id = store.new_case(answers)
    uuid.UUID(case_id)
    record = store.get(case_id)
    assert record.answers == answers
    assert record.answers["incident.narrative"].encode() == HOSTILE_TEXT.encode()
    assert record.heads == record.revisions and len(record.heads) == 1
    assert record.protocol["id"] == "mini-intake" and not record.conflict


def test_validation_message_names_each_question_and_changes_nothing(store):
    bad = {
        "victim.sex": "robot",
        "bogus.id": 1,
        "victim.age_at_incident": 500,
        "incident.date": "2023-02-30",
        "victim.pseudonym": 12,
    }
    with pytest.raises(ValidationError) as caught:
        store.new_case(bad)
    message = str(caught.value)
    for qid in (
        "victim.sex",
        "bogus.id",
        "victim.age_at_incident",
        "incident.date",
        "victim.pseudonym",
    ):
        assert qid in message
    assert caught.value.exit_code == 1
    assert _count_revisions(store) == 0 and store.count() == 0


def test_unknown_protocol_is_refused(store):
    with pytest.raises(ValidationError, match="Unknown protocol"):
        store.new_case({}, protocol_id="no-such-protocol")


def test_save_chains_revisions_and_unchanged_save_is_a_no_op(store):
    case_id = store.new_case(BASE)
    first = store.get(case_id).heads[0]
    assert store.save(case_id, dict(BASE)) == first
    second = store.save(case_id, dict(BASE, **{"victim.sex": "female"}))
    assert second != first
    assert store.revision(second).parents == [first]
    history = store.history(case_id)
    assert [h.id for h in history] == [first, second]
    assert history[1].changed == ["victim.sex"]
    assert history[0].author == store.vault.identity.fingerprint


def test_reverting_an_answer_makes_a_new_revision_id(store):
    case_id = store.new_case(BASE)
    first = store.get(case_id).heads[0]
    store.save(case_id, dict(BASE, **{"victim.sex": "female"}))
    reverted = store.save(case_id, dict(BASE))
    assert reverted != first
    assert len(store.get(case_id).revisions) == 3


def _conflict(store):
    case_id = store.new_case(BASE)
    root = store.get(case_id).heads[0]
    a = store.save(case_id, dict(BASE, **{"victim.sex": "female"}), base=root)
    b = store.save(case_id, dict(BASE, **{"investigation.status": "terminated"}), base=root)
    return case_id, root, a, b


def test_concurrent_edits_become_two_heads_flagged_as_conflict(store):
    case_id, _, a, b = _conflict(store)
    record = store.get(case_id)
    assert record.conflict and record.heads == sorted([a, b])
    assert set(record.head_answers) == {a, b}
    assert record.head_answers[b]["investigation.status"] == "terminated"
    assert store.count(CaseFilter(conflict=True)) == 1
    with pytest.raises(CaseConflict, match="resolve"):
        store.save(case_id, dict(BASE))


def test_resolve_takes_one_head_with_all_heads_as_parents(store):
    case_id, _, a, b = _conflict(store)
    resolved = store.resolve(case_id, take=a)
    record = store.get(case_id)
    assert record.heads == [resolved] and not record.conflict
    assert store.revision(resolved).parents == sorted([a, b])
    assert record.answers["victim.sex"] == "female"
    assert store.count(CaseFilter(conflict=True)) == 0


def test_resolve_with_merged_answers_and_refuses_foreign_revision(store):
    case_id, root, a, b = _conflict(store)
    other = store.new_case(BASE)
    with pytest.raises(NotFound):
        store.resolve(case_id, take=store.get(other).heads[0])
    merged = dict(BASE, **{"victim.sex": "female", "investigation.status": "terminated"})
    resolved = store.resolve(case_id, take=merged)
    assert store.get(case_id).answers == merged
    assert store.revision(resolved).parents == sorted([a, b])


def test_case_index_row_is_derived_from_head_answers(store):
    minor = dict(
        BASE,
        **{
            "victim.age_at_incident": 15,
            "minor.legal_rep_present": "no",
            "incident.city": {"text": "Орал"},
            "victim.citizenship": "KG",
            "lawyer.identified": "no",
            "fme.conducted": "no",
            "investigation.status": "terminated",
            "victim.pseudonym": "URA-7",
        },
    )
    case_id = store.new_case(minor)
    row = store.vault.conn.execute(
        "SELECT pseudonym, sex, minor, city, status, foreigner, red_flags, fme_conducted,"
        " conflict, retracted FROM case_index WHERE case_id = ?",
        (case_id,),
    ).fetchone()
    assert row[:6] == ("URA-7", "male", 1, "kz.city.uralsk", "terminated", 1)
    assert sorted(json.loads(row[6])) == ["lawyer_not_identified", "minor_no_legal_rep"]
    assert row[7:] == ("not_done", 0, 0)
    dump = store.vault.conn.execute("SELECT * FROM case_index").fetchall()
    assert "Сапаров" not in repr(dump)


def test_list_page_filters_sorts_and_pages_from_the_index(store):
    ids = []
    for i, (city, status, age) in enumerate(
        [
            ("kz.city.taraz", "terminated", 15),
            ("kz.city.almaty", "pending", 40),
            ("kz.city.almaty", "terminated", 22),
        ]
    ):
        store._clock = lambda i=i: f"2022-03-0{i + 1}T10:00:00.000Z"
        ids.append(
            store.new_case(
                dict(
                    BASE,
                    **{
                        "incident.city": city,
                        "investigation.status": status,
                        "victim.age_at_incident": age,
                        "victim.pseudonym": f"P{i}",
                    },
                )
            )
        )
    assert [c.id for c in store.list_page()] == ids[::-1]
    assert [c.id for c in store.list_page(sort="updated_asc", limit=2)] == ids[:2]
    assert [c.id for c in store.list_page(offset=1, limit=1)] == [ids[1]]
    assert [
        c.id
        for c in store.list_page(filters=CaseFilter(city="kz.city.almaty", status="terminated"))
    ] == [ids[2]]
    assert [c.id for c in store.list_page(filters=CaseFilter(minor=True))] == [ids[0]]
    assert store.count(CaseFilter(status="terminated")) == 2
    assert store.count(CaseFilter(text="избили тараз")) == 3
    summary = store.list_page(limit=1)[0].as_json()
    assert set(summary) == {"id", "pseudonym", "updated_at", "red_flags", "conflict"}


def test_search_in_russian_and_kazakh_through_the_store(store):
    kk = store.new_case(dict(BASE, **{"incident.narrative": "ҚАЙРАТ мені таяқпен ұрды"}))
    ru = store.new_case(dict(BASE, **{"incident.narrative": "меня урды кто-то"}))
    assert [c.id for c in store.list_page(filters=CaseFilter(text="қайрат"))] == [kk]
    assert [c.id for c in store.list_page(filters=CaseFilter(text="ұрды"))] == [kk]
    assert [c.id for c in store.list_page(filters=CaseFilter(text="урды"))] == [ru]
    # the full name is searchable, the result shows the pseudonym only
    found = store.list_page(filters=CaseFilter(text="Сапаров"))
    assert {c.pseudonym for c in found} == {"TRZ-001"}


def test_search_reflects_only_the_head_answers(store):
    case_id = store.new_case(dict(BASE, **{"incident.narrative": "старое слово"}))
    store.save(case_id, dict(BASE, **{"incident.narrative": "новое"}))
    assert store.count(CaseFilter(text="старое")) == 0
    assert store.count(CaseFilter(text="новое")) == 1


def test_group_and_person_text_is_indexed(store):
    answers = dict(
        BASE,
        episodes=[
            {
                "_id": str(uuid.uuid4()),
                "methods": ["beating"],
                "perpetrator": {"name": "Капитан Жұмабаев"},
                "note": "электрошокер",
            }
        ],
    )
    case_id = store.new_case(answers)
    assert [c.id for c in store.list_page(filters=CaseFilter(text="жұмабаев"))] == [case_id]


def test_text_answer_of_one_megabyte_saved_or_refused_quickly(store):
    started = time.perf_counter()
    at_limit = "я" * 1_000_000  # the longtext limit (max_length default) in characters
    case_id = store.new_case(dict(BASE, **{"incident.narrative": at_limit}))
    assert store.get(case_id).answers["incident.narrative"] == at_limit
    with pytest.raises(ValidationError, match="incident.narrative"):
        store.new_case(dict(BASE, **{"incident.narrative": "x" * (1024 * 1024)}))
    assert time.perf_counter() - started < 60  # a hang guard, not a speed goal


def test_drafts_survive_reopen_and_commit_makes_the_revision(store):
    case_id = store.save_draft(None, {"victim.pseudonym": "Д-1"})
    store.save_draft(case_id, {"victim.pseudonym": "Д-1", "victim.sex": "female"})
    assert _count_revisions(store) == 0
    store = reopen(store.vault)
    draft = store.load_draft(case_id)
    assert draft.answers == {"victim.pseudonym": "Д-1", "victim.sex": "female"}
    assert store.draft_case_ids() == [case_id]
    rev = store.commit_draft(case_id)
    assert store.get(case_id).heads == [rev]
    assert store.load_draft(case_id) is None
    store.save_draft(case_id, {"victim.pseudonym": "Д-2"})
    assert store.load_draft(case_id).base == [rev]
    second = store.commit_draft(case_id)
    assert store.revision(second).parents == [rev]
    store.save_draft(case_id, {"victim.pseudonym": "Д-3"})
    store.discard_draft(case_id)
    assert store.load_draft(case_id) is None and store.get(case_id).heads == [second]
    store.vault.close()


def test_draft_write_is_one_small_write(store):
    """Autosave overwrites one draft row and touches nothing else (speed lives in bench/)."""
    case_id = store.save_draft(None, dict(BASE))
    conn = store.vault.conn
    tables = ["revisions", "audit", "case_index", "drafts"]
    before = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    for i in range(40):
        store.save_draft(case_id, dict(BASE, **{"incident.narrative": "слово " * i}))
    after = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    assert after == before
    assert store.load_draft(case_id).answers["incident.narrative"] == "слово " * 39


def _foreign(identity, case_id, answers, parents, created, shelf):
    protocol = shelf.current()
    body = build_body(
        case_id=case_id,
        parents=parents,
        author=identity.fingerprint,
        created_at=created,
        protocol=protocol_ref(protocol),
        answers=answers,
        attachments=[],
    )
    return make_revision(body, identity)


def _import(store, revs):
    with store.vault.write() as conn:
        return [store.insert_verified_revision(conn, r) for r in revs]


def test_imported_revisions_in_any_order_give_the_same_heads(store, other_identity, tmp_path):
    case_id = str(uuid.uuid4())
    root = _foreign(other_identity, case_id, BASE, [], "2022-02-01T00:00:00.000Z", store.shelf)
    child = _foreign(
        other_identity,
        case_id,
        dict(BASE, **{"victim.sex": "female"}),
        [root.id],
        "2022-02-02T00:00:00.000Z",
        store.shelf,
    )
    assert _import(store, [child]) == [True]
    record = store.get(case_id)
    assert record.waiting and record.heads == [child.id]
    assert _import(store, [root, child]) == [True, False]
    record = store.get(case_id)
    assert not record.waiting and record.heads == [child.id]
    assert record.answers["victim.sex"] == "female"


def test_imported_concurrent_revision_makes_a_conflict(store, other_identity):
    case_id = store.new_case(BASE)
    root = store.get(case_id).heads[0]
    mine = store.save(case_id, dict(BASE, **{"victim.sex": "female"}))
    theirs = _foreign(
        other_identity,
        case_id,
        dict(BASE, **{"victim.sex": "other"}),
        [root],
        "2022-02-02T00:00:00.000Z",
        store.shelf,
    )
    _import(store, [theirs])
    record = store.get(case_id)
    assert record.conflict and record.heads == sorted([mine, theirs.id])


def test_record_stays_readable_from_the_protocol_stored_in_the_vault(store, tmp_path):
    case_id = store.new_case(dict(BASE, **{"lawyer.identified": "no"}))
    sha = store.get(case_id).protocol["sha256"]
    row = store.vault.conn.execute(
        "SELECT id, version FROM protocols WHERE sha256 = ?", (sha,)
    ).fetchone()
    assert row == ("mini-intake", 1)
    # a later application without this protocol file still evaluates the record
    fresh = CaseStore(store.vault, shelf=ProtocolShelf(tmp_path, default="mini-intake"))
    protocol = fresh.protocol_of(fresh.get(case_id))
    assert protocol is not None and protocol.sha256 == sha
    assert protocol.evaluate(fresh.get(case_id).answers).red_flags == ["lawyer_not_identified"]


def test_attach_streams_into_vault_and_records_entry(store, tmp_path):
    case_id = store.new_case(BASE)
    photo = tmp_path / "травма.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"x" * 3_000_000)
    rev, entry = store.attach(case_id, photo)
    record = store.get(case_id)
    assert record.heads == [rev] and record.attachments == [entry]
    assert entry["name"] == "травма.jpg" and entry["media_type"] == "image/jpeg"
    assert entry["size"] == 3_000_004
    other = store.new_case(BASE)
    store.attach(other, photo)
    assert store.vault.conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 1
    answers = dict(BASE, **{"evidence.photos": [entry["sha256"]]})
    store.save(case_id, answers)
    with pytest.raises(ValidationError, match="evidence.photos"):
        store.save(case_id, dict(BASE, **{"evidence.photos": ["ab" * 32]}))


def test_attach_missing_file_is_a_clear_error(store, tmp_path):
    case_id = store.new_case(BASE)
    with pytest.raises(NotFound, match="Cannot read"):
        store.attach(case_id, tmp_path / "absent.jpg")
    assert len(store.get(case_id).revisions) == 1


def test_list_filters_by_red_flag_and_sorts_by_pseudonym(store):
    flagged = store.new_case(dict(BASE, **{"lawyer.identified": "no", "victim.pseudonym": "B"}))
    plain = store.new_case(dict(BASE, **{"victim.pseudonym": "A"}))
    by_flag = store.list_page(filters=CaseFilter(red_flag="lawyer_not_identified"))
    assert [c.id for c in by_flag] == [flagged]
    assert by_flag[0].red_flags == ["lawyer_not_identified"]
    assert [c.id for c in store.list_page(sort="pseudonym")] == [plain, flagged]
    with pytest.raises(Exception, match="Unknown sort"):
        store.list_page(sort="body; DROP TABLE revisions")


def test_retracted_cases_leave_the_list_and_show_no_answers(store):
    case_id = store.new_case(BASE)
    with store.vault.write() as conn:
        conn.execute("UPDATE case_index SET retracted = 1 WHERE case_id = ?", (case_id,))
    assert store.count() == 0
    assert store.count(CaseFilter(include_retracted=True)) == 1
    record = store.get(case_id)
    assert record.retracted and record.answers == {} and record.head_answers == {}


def test_history_of_a_resolution_lists_changes_against_each_parent(store):
    case_id, root, a, b = _conflict(store)
    resolved = store.resolve(case_id, take=a)
    entry = store.history(case_id)[-1]
    assert entry.id == resolved and entry.parents == sorted([a, b])
    assert entry.changed == ["investigation.status", "victim.sex"]  # both differ from b


def test_case_with_a_conflict_cannot_be_attached_to_until_resolved(store, tmp_path):
    case_id, *_ = _conflict(store)
    photo = tmp_path / "p.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    with pytest.raises(CaseConflict):
        store.attach(case_id, photo)
    assert store.vault.conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 0


def test_save_with_a_base_from_another_case_is_refused(store):
    one = store.new_case(BASE)
    two = store.new_case(BASE)
    with pytest.raises(NotFound):
        store.save(one, dict(BASE, **{"victim.sex": "female"}), base=store.get(two).heads[0])
    assert len(store.get(one).revisions) == 1


def test_every_write_is_audited_without_content(store):
    case_id = store.new_case(BASE)
    store.save(case_id, dict(BASE, **{"victim.sex": "female"}))
    rows = store.vault.conn.execute("SELECT action, record FROM audit").fetchall()
    assert ("case.create", case_id) in rows and ("case.save", case_id) in rows
    assert "Сапаров" not in repr(rows)
