"""Fuzzing case JSON: answers made of the protocol's own question ids (and strangers) with
values of every JSON shape, through CaseStore and through `case new --json FILE` bytes.
Either the case is created or a ValidationError names the problem; a refusal changes
nothing (no revision, no audit entry, no index or search row)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fuzz_support import JSON, budget, hostile_bytes, only_typed_errors
from hypothesis import given
from hypothesis import strategies as st

from intake_app.cases.store import CaseStore
from intake_app.cli.main import main as cli_main
from intake_app.errors import IntakeError
from intake_app.protocol import load_protocol
from intake_app.vault import Vault

PASSPHRASE = "correct horse battery staple"
PROTOCOL = load_protocol("torture-intake")
IDS = sorted(PROTOCOL.top_level())

# Values aimed at the checks: calendar edges, bounds, statuses, wrong shapes.
EDGE = st.sampled_from([
    "2023-02-30", "2023-02-29", "2024-02-29", "2023-13-01", "2023-00", "0000", "99999",
    "2023-1-1", "yes", "no", "unknown", "done", "not_done", {"status": "unknown"},
    {"status": "declined"}, {"status": "maybe"}, {"status": "done", "date": "2023-02-30"},
    -1, 0, 17, 18, 121, 10**20, 1e308, -0.0, True, [], {}, [{}], [{"_id": "x"}], "", " ",
    "\u202e", "kz.city.uralsk", {"text": "Орал"}, "x" * 10_001,
])  # fmt: skip
VALUE = st.one_of(EDGE, JSON)
ANSWERS = st.dictionaries(
    st.one_of(st.sampled_from(IDS), st.sampled_from(IDS).map(lambda i: i + ".x"),
              st.text(max_size=12)),
    VALUE, max_size=8,
)  # fmt: skip


def footprint(vault: Vault) -> tuple[int, ...]:
    conn = vault.conn
    return tuple(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
                 for table in ("revisions", "heads", "case_index", "answers_fts", "audit",
                               "drafts", "blobs"))  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    vault = Vault.create(tmp_path_factory.mktemp("fuzz-case") / "v", PASSPHRASE,
                         name="Fuzz", role="monitor")  # fmt: skip
    yield CaseStore(vault)
    vault.close()


@budget(300)
@given(answers=ANSWERS)
def test_case_answers_are_saved_or_refused_with_a_named_problem(store, answers) -> None:
    before = footprint(store.vault)
    case_id, refusal = only_typed_errors(store.new_case, answers)
    if refusal is not None:
        assert footprint(store.vault) == before, "a refused case changed the vault"
        return
    record = store.get(case_id)
    head = store.revision(record.heads[0])
    assert head.answers == answers  # stored exactly as given, never normalised


@pytest.fixture(scope="module")
def existing_case(store) -> str:  # noqa: ANN001
    return store.new_case({"victim.pseudonym": "F-1"})


@budget(150)
@given(answers=ANSWERS)
def test_saving_an_existing_case_refused_changes_nothing(store, existing_case, answers) -> None:
    case_id = existing_case
    before = footprint(store.vault)
    heads = store.get(case_id).heads
    _, refusal = only_typed_errors(store.save, case_id, answers)
    if refusal is not None:
        assert footprint(store.vault) == before
        assert store.get(case_id).heads == heads


VALID_FILE = json.dumps({"protocol": "torture-intake", "answers": {
    "victim.pseudonym": "Ә-7", "victim.age_at_incident": 16, "incident.date": "2022-01-06",
    "consent.interview": "yes", "victim.sex": "male"}}, ensure_ascii=False).encode()  # fmt: skip


def test_case_new_json_file_bytes_exit_0_or_1_with_one_line(tmp_path: Path, capsys) -> None:
    vault_dir = tmp_path / "v"
    Vault.create(vault_dir, PASSPHRASE, name="Fuzz CLI", role="monitor").close()
    pfile = tmp_path / "p.txt"
    pfile.write_text(PASSPHRASE + "\n")
    case_file = tmp_path / "case.json"

    @budget(120)
    @given(blob=hostile_bytes(VALID_FILE))
    def attempt(blob: bytes) -> None:
        case_file.write_bytes(blob)
        capsys.readouterr()
        code = cli_main(["--vault", str(vault_dir), "--passphrase-file", str(pfile), "case",
                         "new", "--json", str(case_file)])  # fmt: skip
        err = capsys.readouterr().err
        assert code in (0, 1), (code, err)
        if code == 1:
            assert "internal error" not in err and "Traceback" not in err
            assert len(err.strip().splitlines()) == 1, err

    attempt()


def test_typed_error_base_is_what_only_typed_errors_accepts() -> None:
    with pytest.raises(KeyError):
        only_typed_errors(lambda: {}["missing"])
    assert only_typed_errors(lambda: (_ for _ in ()).throw(IntakeError("no")))[1] is not None
