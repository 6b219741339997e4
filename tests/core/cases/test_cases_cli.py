"""The case, search and demo commands: JSON shapes exactly as DESIGN.md, exit codes."""

from __future__ import annotations

import json

import pytest
from cases_support import HOSTILE_TEXT, PASSPHRASE

from intake_app.cli.main import main


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("INTAKE_NO_KEYRING", "1")
    pw = tmp_path / "pw"
    pw.write_text(PASSPHRASE + "\n")
    base = ["--vault", str(tmp_path / "v"), "--passphrase-file", str(pw)]

    def run(*args):
        capsys.readouterr()
        code = main([*base, *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err

    code, _, err = run("init", "--name", "Monitor", "--role", "monitor")
    assert code == 0, err
    return run


def _case_file(tmp_path, data, name="case.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


ANSWERS = {
    "consent.interview": "yes",
    "victim.pseudonym": "TRZ-1",
    "victim.full_name": "Сапаров Нұрлан",
    "victim.sex": "male",
    "victim.age_at_incident": 16,
    "minor.legal_rep_present": "no",
    "incident.city": {"text": "Тараз"},
    "incident.narrative": HOSTILE_TEXT,
    "fme.conducted": {"status": "not_done", "note": "отказали"},
    "investigation.status": "terminated",
}


def test_case_new_show_round_trip_answers_exactly(cli, tmp_path):
    code, out, err = cli("case", "new", "--json", _case_file(tmp_path, {"answers": ANSWERS}))
    assert code == 0, err
    case_id = out.strip()
    code, out, _ = cli("case", "show", case_id, "--json")
    shown = json.loads(out)
    required = {"id", "protocol", "answers", "red_flags", "heads", "revisions", "attachments"}
    assert required <= set(shown)
    assert shown["id"] == case_id and shown["protocol"] == "torture-intake"
    assert shown["answers"] == ANSWERS
    assert "minor_no_legal_rep" in shown["red_flags"]
    assert shown["heads"] == shown["revisions"] and len(shown["heads"]) == 1
    assert shown["attachments"] == [] and shown["retracted"] is False
    assert cli("case", "show", case_id, "--json")[1] == out  # deterministic


def test_case_list_shape_pseudonyms_only_and_deterministic(cli, tmp_path):
    cli("case", "new", "--json", _case_file(tmp_path, {"answers": ANSWERS}))
    code, out, _ = cli("case", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == 1
    assert set(listed[0]) == {"id", "pseudonym", "updated_at", "red_flags", "conflict"}
    assert listed[0]["pseudonym"] == "TRZ-1" and listed[0]["conflict"] is False
    assert "Сапаров" not in out
    assert cli("case", "list", "--json")[1] == out
    code, table, _ = cli("case", "list")
    assert "TRZ-1" in table and "Сапаров" not in table


def test_search_json_in_russian_and_kazakh(cli, tmp_path):
    cli("case", "new", "--json", _case_file(tmp_path, {"answers": ANSWERS}))
    for query in ("Қайрат", "ҚАЙРАТ ұрды", "ёлк"):
        code, out, _ = cli("search", query, "--json")
        results = json.loads(out)
        assert code == 0 and [r["pseudonym"] for r in results] == ["TRZ-1"], query
        assert {"id", "pseudonym", "updated_at"} <= set(results[0])
    assert json.loads(cli("search", "урды", "--json")[1]) == []
    assert json.loads(cli("search", 'NEAR("x" "y") OR *', "--json")[1]) == []


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (
            {"answers": {"victim.sex": "robot", "no.such": 1, "incident.date": "2023-02-30"}},
            ["victim.sex", "no.such", "incident.date"],
        ),
        ({"answers": {"victim.age_at_incident": "forty"}}, ["victim.age_at_incident"]),
        ({"answers": {}, "extra": 1}, ["extra"]),
        ({"protocol": "no-such-protocol", "answers": {}}, ["no-such-protocol"]),
        ([1, 2], ["answers"]),
    ],
)
def test_case_json_with_unknown_ids_or_wrong_types_exits_1_naming_them(
    cli, tmp_path, content, named
):
    code, out, err = cli("case", "new", "--json", _case_file(tmp_path, content))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    for name in named:
        assert name in err
    assert json.loads(cli("case", "list", "--json")[1]) == []


def test_case_file_not_json_or_duplicate_keys_or_missing(cli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"answers": {"victim.sex": "male", "victim.sex": "female"}}')
    assert cli("case", "new", "--json", bad)[0] == 1
    bad.write_bytes(b"\xff\xfe not json")
    assert cli("case", "new", "--json", bad)[0] == 1
    assert cli("case", "new", "--json", tmp_path / "absent.json")[0] == 1


def test_show_unknown_or_malformed_case_id_exits_1(cli):
    assert cli("case", "show", "00000000-0000-4000-8000-000000000000")[0] == 1
    code, _, err = cli("case", "show", "../../etc/passwd")
    assert code == 1 and "not a case id" in err


def test_attach_then_show_lists_the_attachment(cli, tmp_path):
    case_id = cli("case", "new", "--json", _case_file(tmp_path, {"answers": ANSWERS}))[1].strip()
    scan = tmp_path / "решение.pdf"
    scan.write_bytes(b"%PDF-1.4 decision" * 100_000)
    code, out, err = cli("case", "attach", case_id, scan)
    assert code == 0, err
    shown = json.loads(cli("case", "show", case_id, "--json")[1])
    assert shown["attachments"] == [
        {
            "sha256": shown["attachments"][0]["sha256"],
            "size": 1_700_000,
            "name": "решение.pdf",
            "media_type": "application/pdf",
            "captured_at": None,
        }
    ]
    assert len(shown["revisions"]) == 2


def test_resolve_needs_a_revision_id(cli, tmp_path):
    case_id = cli("case", "new", "--json", _case_file(tmp_path, {"answers": ANSWERS}))[1].strip()
    assert cli("case", "resolve", case_id, "--take", "zz")[0] == 2
    head = json.loads(cli("case", "show", case_id, "--json")[1])["heads"][0]
    code, out, _ = cli("case", "resolve", case_id, "--take", head)
    assert code == 0 and out.strip() == head  # one head already: nothing to resolve


def test_demo_command_adds_the_coalition_profile(cli):
    code, out, err = cli("demo", "--cases", "20", "--seed", "3")
    assert code == 0, err
    assert "Added 20 demo cases" in out
    assert len(json.loads(cli("case", "list", "--json")[1])) == 20
    assert cli("demo", "--cases", "0")[0] == 2
