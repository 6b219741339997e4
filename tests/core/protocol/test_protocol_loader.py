"""Loading protocol files, shipped or carried in a bundle: every malformed file is refused
with a ProtocolError naming the place, fast, and never crashes the process."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from protocol_support import FIXTURES, protocol_from

from intake_app.errors import NotFound, ProtocolError
from intake_app.protocol import (
    available_versions,
    cached_protocol,
    load_protocol,
    load_protocol_bytes,
)
from intake_app.protocol.loader import MAX_PROTOCOL_BYTES

MINIMAL = """
sections:
  - id: s
    title: {en: S}
    questions:
      - {id: a, type: yesno, label: {en: A}}
"""


def refused(body: str, match: str, *, header: bool = True) -> None:
    with pytest.raises(ProtocolError, match=match):
        protocol_from(body, header=header)


def test_newest_version_by_default(sample_v1, sample_v2):
    assert available_versions("sample", FIXTURES) == [1, 2]
    newest = load_protocol("sample", base=FIXTURES)
    assert newest.version == 2
    assert newest is sample_v2  # cached by content hash


def test_sha256_is_of_the_exact_file_bytes(sample_v1):
    data = (FIXTURES / "sample" / "v1.yaml").read_bytes()
    assert sample_v1.sha256 == hashlib.sha256(data).hexdigest()
    assert load_protocol_bytes(data) is sample_v1
    assert cached_protocol(sample_v1.sha256) is sample_v1


def test_same_content_other_bytes_is_another_protocol(sample_v1):
    data = (FIXTURES / "sample" / "v1.yaml").read_bytes() + b"\n# a comment\n"
    other = load_protocol_bytes(data)
    assert other is not sample_v1
    assert other.sha256 != sample_v1.sha256
    assert [q.full_id for q in other.questions()] == [q.full_id for q in sample_v1.questions()]


def test_unknown_protocol_and_version():
    with pytest.raises(NotFound):
        load_protocol("nosuch", base=FIXTURES)
    with pytest.raises(NotFound):
        load_protocol("sample", 7, base=FIXTURES)


@pytest.mark.parametrize("name", ["../sample", "/etc", "Sample", "", "a/b", "..", "s\x00"])
def test_protocol_id_cannot_escape_the_folder(name):
    with pytest.raises(NotFound):
        load_protocol(name, base=FIXTURES)


def test_file_must_declare_its_own_id_and_version(tmp_path):
    folder = tmp_path / "other"
    folder.mkdir()
    shutil.copy(FIXTURES / "sample" / "v1.yaml", folder / "v1.yaml")
    with pytest.raises(ProtocolError, match="must match"):
        load_protocol("other", base=tmp_path)
    folder = tmp_path / "sample"
    folder.mkdir()
    shutil.copy(FIXTURES / "sample" / "v1.yaml", folder / "v3.yaml")
    with pytest.raises(ProtocolError, match="must match"):
        load_protocol("sample", base=tmp_path)


def test_model_accessors(sample_v1):
    p = sample_v1
    assert p.question("victim.sex").type == "choice"
    assert p.question("episodes.place").full_id == "episodes.place"
    assert p.question("episodes.place").id == "place"
    assert p.question("place") is None
    assert p.section_of("episodes.methods") == "episodes"
    assert p.section_of("victim.sex") == "victim"
    assert p.protected_ids() == {"victim.full_name", "victim.birth_date", "lawyer.person"}
    ids = [q.full_id for q in p.questions()]
    assert ids.index("episodes") < ids.index("episodes.place") < ids.index("evidence.photos")
    assert p.label(p.question("victim.sex"), "ru") == "Пол"
    assert p.label(p.question("episodes.when").constraint_message, "kk") == (
        "An episode cannot be before the incident date."  # no kk text: English
    )
    assert p.label(p.sections[0], "kk") == "Келісім"
    assert p.label({"ru": "только"}, "en") == "только"
    assert p.red_flag_rules[0].id == "minor_no_legal_rep"


def test_minimal_protocol_loads():
    p = protocol_from(MINIMAL)
    assert p.evaluate({"a": "yes"}).problems == []


# --- hostile or broken YAML ---------------------------------------------------------------


def test_size_cap():
    big = b"format: 1\n#" + b"x" * MAX_PROTOCOL_BYTES
    with pytest.raises(ProtocolError, match="larger than"):
        load_protocol_bytes(big)


def test_not_utf8():
    with pytest.raises(ProtocolError, match="UTF-8"):
        load_protocol_bytes(b"format: 1\nid: \xff\xfe\n")


def test_nul_byte():
    with pytest.raises(ProtocolError, match="NUL"):
        load_protocol_bytes(b"format: 1\x00\n")


def test_not_bytes():
    with pytest.raises(ProtocolError):
        load_protocol_bytes("format: 1")  # type: ignore[arg-type]


def test_billion_laughs_aliases_refused():
    bomb = (
        'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    )
    start = time.perf_counter()
    with pytest.raises(ProtocolError, match="alias"):
        load_protocol_bytes(bomb.encode())
    # A hang guard, not a speed goal: the alias bomb is refused before it expands.
    assert time.perf_counter() - start < 10


def test_deep_yaml_nesting_refused_without_crashing():
    # libyaml's composer recurses in C: 1,000,000 levels killed the process (SIGSEGV)
    # before the event-stream check. Run in a child so a crash fails the test, not pytest.
    code = (
        "from intake_app.protocol import load_protocol_bytes\n"
        "from intake_app.errors import ProtocolError\n"
        "n = 900_000\n"
        "try:\n"
        "    load_protocol_bytes(b'[' * n + b']' * n)\n"
        "except ProtocolError as e:\n"
        "    print('refused:', e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, cwd=Path(__file__).resolve().parents[3])
    assert result.returncode == 0, result.stderr[-500:]
    assert "nested deeper" in result.stdout


def test_duplicate_yaml_keys_refused():
    refused("""
        sections:
          - id: s
            title: {en: S}
            questions:
              - {id: a, type: yesno, label: {en: A}, label: {en: B}}
        """, "repeats the key 'label'")


def test_python_tags_refused():
    refused("!!python/object/apply:os.system ['id']\n", "not valid YAML", header=False)
    refused("format: !!python/name:os.system\n", "not valid YAML", header=False)


def test_not_yaml():
    refused("format: [1\n", "not valid YAML", header=False)
    refused("", "mapping", header=False)
    refused("- 1\n- 2\n", "mapping", header=False)


def test_huge_integer_refused():
    refused("format: " + "9" * 5000 + "\n", "not valid YAML", header=False)


def test_newer_format_says_so():
    refused("format: 2\nid: t\nversion: 1\ntitle: {en: T}\n" + MINIMAL, "newer version",
            header=False)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (MINIMAL + "colour: red\n", "unknown key 'colour'"),
        (MINIMAL.replace("type: yesno", "type: yesnoo"), "'type' must be one of"),
        (MINIMAL.replace("label: {en: A}", "label: {ru: А}"), "English"),
        (MINIMAL.replace("label: {en: A}", "label: {en: ''}"), "non-empty"),
        (MINIMAL.replace("label: {en: A}", "label: 'A'"), "texts by language"),
        (MINIMAL.replace("id: a,", "id: A,"), "lower-case"),
        (MINIMAL.replace("id: a,", "id: in,"), "reserved"),
        (MINIMAL.replace("id: a,", "id: _id,"), "lower-case"),
        (MINIMAL.replace("id: a,", "id: 'a..b',"), "lower-case"),
        (MINIMAL.replace("type: yesno,", "type: yesno, required: 'yes',"), "true or false"),
        (MINIMAL.replace("type: yesno,", "type: yesno, min: 1,"), "unknown key 'min'"),
        (MINIMAL.replace("type: yesno,", "type: yesno, relevant: true,"), "written as text"),
        (MINIMAL.replace("type: yesno,", "type: yesno, relevant: 'a ==',"),
         "question 'a' relevant: Unexpected end of expression at character 5"),
        (MINIMAL.replace("type: yesno,", "type: yesno, constraint_message: {en: x},"),
         "without a 'constraint'"),
        ("sections: []\n", "non-empty"),
        ("sections:\n  - {id: s, title: {en: S}, questions: []}\n", "non-empty"),
    ],
)
def test_schema_errors_name_the_place(body, match):
    refused(body, match)


def test_duplicate_question_ids_refused():
    refused(MINIMAL + "      - {id: a, type: text, label: {en: again}}\n", "used twice")
    refused(MINIMAL + "  - id: s2\n    title: {en: S2}\n    questions:\n"
            "      - {id: a, type: text, label: {en: again}}\n", "used twice")


def test_group_child_full_id_may_not_collide_with_a_global_id():
    refused("""
        sections:
          - id: s
            title: {en: S}
            questions:
              - {id: g.x, type: text, label: {en: X}}
              - id: g
                type: group
                label: {en: G}
                questions:
                  - {id: x, type: text, label: {en: X}}
        """, "used twice")


def test_duplicate_section_option_and_rule_ids_refused():
    refused(MINIMAL + "  - id: s\n    title: {en: S}\n    questions:\n"
            "      - {id: b, type: text, label: {en: B}}\n", "section id is used twice")
    refused("""
        sections:
          - id: s
            title: {en: S}
            questions:
              - {id: c, type: choice, label: {en: C},
                 options: [{value: x, label: {en: X}}, {value: x, label: {en: Y}}]}
        """, "used twice")
    refused(MINIMAL + "red_flags:\n  - {id: r, when: 'a == 1', label: {en: R}}\n"
            "  - {id: r, when: 'a == 2', label: {en: R}}\n", "used twice")


def test_unquoted_yes_option_is_explained():
    refused("""
        sections:
          - id: s
            title: {en: S}
            questions:
              - {id: c, type: choice, label: {en: C}, options: [{value: yes, label: {en: Y}}]}
        """, "in quotes")


def test_choice_needs_options_and_number_bounds_are_sane():
    refused(MINIMAL.replace("type: yesno", "type: choice"), "needs a non-empty 'options'")
    refused(MINIMAL.replace("type: yesno,", "type: number, min: 5, max: 1,"), "greater")
    refused(MINIMAL.replace("type: yesno,", "type: number, min: .nan,"), "must be a number")
    refused(MINIMAL.replace("type: yesno,", "type: text, max_length: 0,"), "max_length")
    refused(MINIMAL.replace("type: yesno,", "type: place, gazetteer: planet,"), "gazetteer")


def test_group_needs_questions_and_nesting_is_capped():
    refused(MINIMAL.replace("type: yesno", "type: group"), "needs 'questions'")
    nested = "{id: leaf, type: text, label: {en: L}}"
    for n in range(4):
        nested = f"{{id: g{n}, type: group, label: {{en: G}}, questions: [{nested}]}}"
    refused(f"sections:\n  - id: s\n    title: {{en: S}}\n    questions: [{nested}]\n",
            "nested more than")


def test_cycles_in_skip_logic_refused():
    refused("""
        sections:
          - id: s
            title: {en: S}
            questions:
              - {id: a, type: yesno, label: {en: A}, relevant: "b == 'yes'"}
              - {id: b, type: yesno, label: {en: B}, relevant: "a == 'yes'"}
        """, "circle: a → b → a")
    refused("""
        sections:
          - id: s
            title: {en: S}
            questions:
              - {id: a, type: yesno, label: {en: A}, relevant: "a == 'yes'"}
        """, "its own answer")
    refused("""
        sections:
          - id: s
            title: {en: S}
            relevant: "a == 'yes'"
            questions:
              - {id: a, type: yesno, label: {en: A}}
        """, "circle")


def test_check_subfield_names_must_not_be_ambiguous():
    refused("""
        sections:
          - id: s
            title: {en: S}
            questions:
              - {id: fme.done, type: check, label: {en: A}}
              - {id: fme.done.date, type: date, label: {en: B}}
        """, "ambiguous")


def test_red_flag_needs_when():
    refused(MINIMAL + "red_flags:\n  - {id: r, label: {en: R}}\n", "'when' is missing")
