"""ADVERSARIAL.md "Tampering with bundles": each case imported through the real CLI entry
point must exit 4 (0 for the no-op) with one clear line, leave the vault exactly as it was
and leave nothing in the staging folder.

Tampered bundles start from a real export; whatever the attack needs re-signed is re-signed
with the real minisign code and the keys of the device the attacker would have to hold.
"""

from __future__ import annotations

import base64
import json
import shutil
import uuid
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from bundle_support import (
    PASSPHRASE,
    Party,
    attach,
    export,
    full_dump,
    import_,
    make_party,
    manifest_for,
    new_case,
    open_bundle,
    read_bundle,
    rebuild,
    run_cli,
    save,
    seal,
    staging_files,
    trust,
    write_bundle,
)

from intake_app.bundles import manifest as mf
from intake_app.canonical import canonical_json, sha256_hex
from intake_app.cases.revision import make_revision
from intake_app.identity.card import card_of
from intake_app.identity.keys import DeviceIdentity
from intake_app.identity.trust import TrustRegistry

AGE_CHUNK = 64 * 1024 + 16


@dataclass
class World:
    root: Path
    a: Party  # monitor, author of the base bundle
    b: Party  # another monitor the coordinator trusts
    c: Party  # coordinator the base bundle is for
    c2: Party  # another coordinator who trusts A but was not a recipient
    x: DeviceIdentity  # a device nobody trusts
    bundle: Path
    case_id: str
    pfile: Path


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("tamper-template")
    a, b = make_party(root, "A"), make_party(root, "B")
    c, c2 = make_party(root, "C", "coordinator"), make_party(root, "C2", "coordinator")
    trust(c, a, b)
    trust(c2, a)
    trust(a, c, c2)
    trust(b, c)
    case_id = new_case(a, {"victim.pseudonym": "Ә-1"})
    for name, size in (("one.bin", 150_000), ("two.bin", 70_000)):
        (root / name).write_bytes(bytes(range(256)) * (size // 256) + name.encode())
        attach(a, case_id, root / name)
    bundle = export(a, root / "base.intake", "C")
    pfile = root / "pass.txt"
    pfile.write_text(PASSPHRASE + "\n")
    x = DeviceIdentity.generate("Stranger", "monitor")
    return World(root, a, b, c, c2, x, bundle, case_id, pfile)


@pytest.fixture
def w(template: World, tmp_path: Path) -> World:
    """A private copy of the template's vaults and files for one test."""
    root = tmp_path / "w"
    shutil.copytree(template.root, root)

    def moved(p: Party) -> Party:
        return replace(p, path=root / p.path.name)

    return replace(template, root=root, a=moved(template.a), b=moved(template.b),
                   c=moved(template.c), c2=moved(template.c2), bundle=root / "base.intake",
                   pfile=root / "pass.txt")  # fmt: skip


def refused(w: World, party: Party, bundle: Path, capsys, *fragments: str) -> str:
    """Import must exit 4 with one line naming the problem; nothing may change."""
    before = full_dump(party)
    code, out, err = run_cli(party, w.pfile, "import", bundle, capsys=capsys)
    assert code == 4, (code, out, err)
    assert out == "" and err.count("\n") == 1 and err.startswith("intake-app: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment.lower() in err.lower(), err
    assert full_dump(party) == before
    assert staging_files(party) == []
    return err


def accepted(w: World, party: Party, bundle: Path, capsys) -> dict:
    code, out, err = run_cli(party, w.pfile, "import", bundle, "--json", capsys=capsys)
    assert code == 0, err
    return json.loads(out)


def resealed(w: World, payload: bytes, name: str, signer: DeviceIdentity | None = None,
             comment: str | None = None) -> Path:  # fmt: skip
    """`payload` (age bytes) in a fresh bundle signed like the original, or by `signer`."""
    opened_comment = open_bundle(w.bundle, w.a.identity).comment
    return seal(w.root / name, payload, signer or w.a.identity, comment or opened_comment)


def _age_layout(payload: bytes) -> tuple[int, int]:
    """(offset of the MAC line, offset of the first payload chunk)."""
    mac = payload.index(b"\n--- ") + 1
    return mac, payload.index(b"\n", mac) + 1 + 16  # the 16-byte STREAM nonce


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


# ---- one bit flipped in payload.age -------------------------------------------------------


@pytest.mark.parametrize("where", ["header", "hmac", "chunk", "last_chunk"])
def test_bit_flip_in_payload_caught_by_outer_signature(w, capsys, where):
    payload, _ = read_bundle(w.bundle)
    offset = _flip_offset(payload, where)
    with open(w.bundle, "rb") as fh:
        data = bytearray(fh.read())
    start = data.index(payload[:64])
    data[start + offset] ^= 0x01
    (w.root / "f.intake").write_bytes(bytes(data))
    refused(w, w.c, w.root / "f.intake", capsys, "damaged")


@pytest.mark.parametrize("where", ["header", "hmac", "chunk", "last_chunk"])
def test_bit_flip_in_payload_resigned_by_author_caught_by_age(w, capsys, where):
    payload, _ = read_bundle(w.bundle)
    bundle = resealed(w, _flip(payload, _flip_offset(payload, where)), "f.intake")
    refused(w, w.c, bundle, capsys, "encrypted payload is not acceptable")


def _flip_offset(payload: bytes, where: str) -> int:
    mac, first = _age_layout(payload)
    assert len(payload) - first > 3 * AGE_CHUNK  # several chunks
    return {
        "header": payload.index(b"-> X25519 ") + 12,
        "hmac": mac + 10,
        "chunk": first + AGE_CHUNK + 100,
        "last_chunk": len(payload) - 20,
    }[where]


# ---- the outer signature ---------------------------------------------------------------------


def test_outer_signature_by_another_trusted_device_is_refused(w, capsys):
    payload, _ = read_bundle(w.bundle)
    bundle = resealed(w, payload, "b.intake", signer=w.b.identity)
    refused(w, w.c, bundle, capsys, "manifest is not signed by the bundle's signer")


def test_outer_signature_stripped_and_replaced_by_other_trusted_device(w, capsys):
    # B re-signs A's payload and even re-encrypts a manifest naming A: the inner manifest's
    # author (A, signed by A) no longer matches the outer signer B.
    opened = open_bundle(w.bundle, w.c.identity)
    bundle = rebuild(w.root / "b.intake", w.a.identity, [w.c.identity.age_recipient],
                     opened.manifest, opened.members[2:], outer_signer=w.b.identity)  # fmt: skip
    refused(w, w.c, bundle, capsys, "not signed by the bundle's signer")


def test_outer_signature_by_unknown_key_is_refused(w, capsys):
    payload, _ = read_bundle(w.bundle)
    bundle = resealed(w, payload, "x.intake", signer=w.x)
    refused(w, w.c, bundle, capsys, "not in this vault's trust registry")


def test_outer_signature_missing_is_refused(w, capsys):
    payload, _ = read_bundle(w.bundle)
    path = w.root / "nosig.intake"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("payload.age", payload)
    refused(w, w.c, path, capsys, "two entries")
    empty = write_bundle(w.root / "emptysig.intake", payload, b"")
    refused(w, w.c, empty, capsys, "signature file is malformed")


@pytest.mark.parametrize("field", ["seq", "id"])
def test_trusted_comment_edited_is_refused(w, capsys, field):
    payload, signature = read_bundle(w.bundle)
    text = signature.decode()
    bundle_id, seq = mf.parse_trusted_comment(open_bundle(w.bundle, w.a.identity).comment)
    edited = (
        text.replace(f"seq={seq}", f"seq={seq + 1}")
        if field == "seq"
        else text.replace(f"id={bundle_id}", f"id={'0' * 32}")
    )
    assert edited != text
    refused(w, w.c, write_bundle(w.root / "e.intake", payload, edited.encode()), capsys,
            "trusted comment does not match")  # fmt: skip


@pytest.mark.parametrize("field", ["seq", "id"])
def test_trusted_comment_changed_and_resigned_by_author_mismatches_manifest(w, capsys, field):
    payload, _ = read_bundle(w.bundle)
    bundle_id, seq = mf.parse_trusted_comment(open_bundle(w.bundle, w.a.identity).comment)
    comment = mf.trusted_comment("f" * 32 if field == "id" else bundle_id,
                                 seq + 5 if field == "seq" else seq)  # fmt: skip
    bundle = resealed(w, payload, "c.intake", comment=comment)
    refused(w, w.c, bundle, capsys, "differ from the outer signature")


# ---- members against the manifest ------------------------------------------------------------


def _records(w: World) -> tuple[dict, list[tuple[str, bytes]]]:
    opened = open_bundle(w.bundle, w.c.identity)
    return opened.manifest, opened.members[2:]


def _resealed_records(w: World, records: list[tuple[str, bytes]], name: str,
                      manifest: dict | None = None) -> Path:  # fmt: skip
    """The original signed manifest (unless given) over altered records, re-signed by A."""
    base, _ = _records(w)
    to = [w.c.identity.age_recipient, w.a.identity.age_recipient]
    return rebuild(w.root / name, w.a.identity, to, manifest or base, records)


def _index(records: list[tuple[str, bytes]], prefix: str) -> list[int]:
    return [i for i, (n, _) in enumerate(records) if n.startswith(prefix)]


def test_records_reordered_are_refused(w, capsys):
    _, records = _records(w)
    i, j = _index(records, "revisions/")[:2]
    records[i], records[j] = records[j], records[i]
    refused(w, w.c, _resealed_records(w, records, "r.intake"), capsys, "order")


def test_attachments_reordered_are_refused(w, capsys):
    _, records = _records(w)
    i, j = _index(records, "blobs/")
    records[i], records[j] = records[j], records[i]
    refused(w, w.c, _resealed_records(w, records, "r.intake"), capsys, "order")


@pytest.mark.parametrize("prefix", ["cards/", "protocols/", "revisions/", "blobs/"])
def test_member_dropped_is_refused(w, capsys, prefix):
    _, records = _records(w)
    last = _index(records, prefix)[-1]
    del records[last]
    reason = "missing" if last == len(records) else "not those its manifest lists"
    refused(w, w.c, _resealed_records(w, records, "d.intake"), capsys, reason)


def test_last_member_dropped_is_refused_as_missing(w, capsys):
    _, records = _records(w)
    refused(w, w.c, _resealed_records(w, records[:-1], "d.intake"), capsys, "missing")


def test_member_duplicated_is_refused(w, capsys):
    _, records = _records(w)
    k = _index(records, "revisions/")[0]
    records.insert(k + 1, records[k])
    refused(w, w.c, _resealed_records(w, records, "dup.intake"), capsys, "twice")


def test_member_added_is_refused(w, capsys):
    _, records = _records(w)
    records.append((f"blobs/{'a' * 64}", b"extra"))
    refused(w, w.c, _resealed_records(w, records, "add.intake"), capsys, "does not list")


def test_duplicate_listed_in_signed_manifest_is_refused(w, capsys):
    manifest, records = _records(w)
    k = _index(records, "revisions/")[0]
    records.insert(k + 1, records[k])
    bundle = _resealed_records(w, records, "dup2.intake", manifest_for(records, manifest))
    refused(w, w.c, bundle, capsys, "listed twice")


def test_attachment_swapped_for_other_bytes_same_name_is_refused(w, capsys):
    _, records = _records(w)
    k = _index(records, "blobs/")[0]
    name, data = records[k]
    records[k] = (name, data[:-1] + bytes([data[-1] ^ 0xFF]))
    refused(w, w.c, _resealed_records(w, records, "s.intake"), capsys,
            "does not match the hash its manifest lists")  # fmt: skip


def test_attachment_not_matching_hash_even_in_resigned_manifest_is_refused(w, capsys):
    # The author's own manifest lists the altered bytes' size and hash, but the member's
    # name still claims the original content hash.
    manifest, records = _records(w)
    k = _index(records, "blobs/")[0]
    name, data = records[k]
    records[k] = (name, data.replace(b"\x00\x01\x02", b"EVIL", 1))
    refused(w, w.c, _resealed_records(w, records, "s2.intake", manifest_for(records, manifest)),
            capsys, "named for other content")  # fmt: skip


def test_revision_record_swapped_under_another_name_is_refused(w, capsys):
    manifest, records = _records(w)
    i, j = _index(records, "revisions/")[:2]
    records[i] = (records[i][0], records[j][1])
    bundle = _resealed_records(w, records, "sw.intake", manifest_for(records, manifest))
    refused(w, w.c, bundle, capsys, "does not hold the revision its name says")


def test_card_swapped_for_another_devices_card_is_refused(w, capsys):
    manifest, records = _records(w)
    k = _index(records, "cards/")[0]
    records[k] = (records[k][0], card_of(w.b.identity).to_bytes())
    bundle = _resealed_records(w, records, "card.intake", manifest_for(records, manifest))
    refused(w, w.c, bundle, capsys, "card of another device")


# ---- addressing and revocation ---------------------------------------------------------


def test_bundle_not_addressed_to_this_vault_is_refused(w, capsys):
    refused(w, w.c2, w.bundle, capsys, "not addressed to this")


def test_manifest_not_naming_this_vault_is_refused_even_if_decryptable(w, capsys):
    manifest, records = _records(w)
    to = [w.c.identity.age_recipient, w.c2.identity.age_recipient]
    bundle = rebuild(w.root / "n.intake", w.a.identity, to, manifest, records)
    refused(w, w.c2, bundle, capsys, "not addressed to this vault")


def _two_bundles(w: World) -> tuple[Path, Path, int]:
    first = w.bundle
    save(w.a, w.case_id, {"victim.pseudonym": "Ә-2"})
    second = export(w.a, w.root / "second.intake", "C")
    seq = open_bundle(first, w.a.identity).manifest["seq"]
    assert open_bundle(second, w.a.identity).manifest["seq"] == seq + 1
    return first, second, seq


def _revoke(party: Party, fp: str, last_seq: int | None, hashes: list[str] | None = None) -> None:
    vault = party.open()
    try:
        TrustRegistry(vault).revoke(fp, last_seq, hashes)
    finally:
        vault.close()


def test_revoked_device_after_its_revocation_point_is_refused(w, capsys):
    first, second, seq = _two_bundles(w)
    _revoke(w.c, w.a.fingerprint, seq)
    refused(w, w.c, second, capsys, "revoked after sequence")
    data = accepted(w, w.c, first, capsys)  # at the revocation point: accepted, marked
    assert data["signer_revoked"] is True and data["new_revisions"] == 3
    vault = w.c.open()
    try:
        flags = vault.conn.execute("SELECT DISTINCT signer_revoked FROM revisions").fetchall()
    finally:
        vault.close()
    assert flags == [(1,)]


def test_revoked_device_with_no_confirmed_bundles_is_refused_entirely(w, capsys):
    _revoke(w.c, w.a.fingerprint, None)
    refused(w, w.c, w.bundle, capsys, "revoked with no confirmed bundles")


def test_revoked_device_bundle_not_in_owners_list_is_refused(w, capsys):
    first, second, seq = _two_bundles(w)
    _revoke(w.c, w.a.fingerprint, seq + 1, ["0" * 64])
    refused(w, w.c, first, capsys, "not among those its owner confirmed")


def test_verify_reports_revoked_signer_with_exit_4(w, capsys):
    _revoke(w.c, w.a.fingerprint, 10**15)
    code, out, err = run_cli(w.c, w.pfile, "verify", w.bundle, capsys=capsys)
    assert code == 4 and err.count("\n") == 1 and "revoked" in err and "A" in err


# ---- duplicates, equivocation, order ------------------------------------------------------


def test_same_bundle_twice_is_a_noop_that_says_so(w, capsys):
    accepted(w, w.c, w.bundle, capsys)
    before = full_dump(w.c)
    code, out, err = run_cli(w.c, w.pfile, "import", w.bundle, capsys=capsys)
    assert code == 0 and "Already imported" in out and err == ""
    assert full_dump(w.c) == before


def test_equivocation_same_device_and_sequence_other_contents_is_refused(w, capsys):
    manifest, records = _records(w)
    accepted(w, w.c, w.bundle, capsys)
    records = [r for r in records if not r[0].startswith("blobs/")][:-1]
    other = rebuild(w.root / "eq.intake", w.a.identity, [w.c.identity.age_recipient],
                    manifest_for(records, manifest), records)  # fmt: skip
    refused(w, w.c, other, capsys, "equivocation", f"sequence number {manifest['seq']}")


def test_lower_unseen_sequence_imports_and_gaps_are_listed(w, capsys):
    first, second, seq = _two_bundles(w)
    save(w.a, w.case_id, {"victim.pseudonym": "Ә-3"})
    third = export(w.a, w.root / "third.intake", "C")
    data = accepted(w, w.c, third, capsys)
    assert data["waiting"]  # its parent is in an earlier bundle
    assert data["gaps"] == {}
    data = accepted(w, w.c, first, capsys)
    assert data["gaps"] == {w.a.fingerprint: [[seq + 1, seq + 1]]}
    assert data["new_revisions"] == 3
    data = accepted(w, w.c, second, capsys)
    assert data["gaps"] == {} and data["waiting"] == []


# ---- revisions' own signatures ------------------------------------------------------------


def _revision_doc(records: list[tuple[str, bytes]], k: int) -> dict:
    return json.loads(records[k][1])


def test_revision_whose_signature_does_not_match_its_content_is_refused(w, capsys):
    manifest, records = _records(w)
    k = _index(records, "revisions/")[0]
    doc = _revision_doc(records, k)
    doc["body"]["answers"]["victim.pseudonym"] = "forged"
    rev_id = sha256_hex(canonical_json(doc["body"]))
    doc["id"] = rev_id  # the id recomputed honestly; the signature is the old one
    records[k] = (f"revisions/{rev_id}.json", canonical_json(doc))
    records = sorted(records, key=lambda r: (mf.KIND_ORDER[_kind(r[0])],))
    bundle = _resealed_records(w, records, "sig.intake", manifest_for(records, manifest))
    refused(w, w.c, bundle, capsys, "author signature does not match")


def test_revision_content_not_matching_its_id_is_refused(w, capsys):
    manifest, records = _records(w)
    k = _index(records, "revisions/")[0]
    doc = _revision_doc(records, k)
    doc["body"]["answers"]["victim.pseudonym"] = "forged"
    records[k] = (records[k][0], canonical_json(doc))
    bundle = _resealed_records(w, records, "id.intake", manifest_for(records, manifest))
    refused(w, w.c, bundle, capsys, "does not match its id")


def _kind(path: str) -> str:
    return {"cards": "card", "protocols": "protocol", "revisions": "revision",
            "blobs": "blob"}[path.split("/")[0]]  # fmt: skip


def _stranger_revision(w: World, records: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    doc = _revision_doc(records, _index(records, "revisions/")[0])
    body = dict(doc["body"], author=w.x.fingerprint, case_id=str(uuid.uuid4()), parents=[],
                attachments=[], answers={"victim.pseudonym": "X"})  # fmt: skip
    rev = make_revision(body, w.x)
    record = canonical_json({"id": rev.id, "body": rev.body,
                             "signature": base64.b64encode(rev.signature).decode()})  # fmt: skip
    return f"revisions/{rev.id}.json", record


def test_revision_by_unknown_author_is_refused(w, capsys):
    manifest, records = _records(w)
    records.insert(_index(records, "revisions/")[-1] + 1, _stranger_revision(w, records))
    bundle = _resealed_records(w, records, "u.intake", manifest_for(records, manifest))
    refused(w, w.c, bundle, capsys, "author is unknown")


def test_revision_by_author_vouched_for_by_carried_card_is_accepted(w, capsys):
    # The positive control of the test above: the same revision with its author's card.
    manifest, records = _records(w)
    records.insert(_index(records, "revisions/")[-1] + 1, _stranger_revision(w, records))
    records.insert(0, (f"cards/{w.x.fingerprint}.json", card_of(w.x).to_bytes()))
    records.sort(key=lambda r: mf.KIND_ORDER[_kind(r[0])])
    bundle = _resealed_records(w, records, "v.intake", manifest_for(records, manifest))
    data = accepted(w, w.c, bundle, capsys)
    assert data["new_revisions"] == 4


def test_import_of_base_bundle_succeeds(w, capsys):
    # The untampered bundle every test above starts from imports cleanly.
    data = accepted(w, w.c, w.bundle, capsys)
    assert (data["new_revisions"], data["attachments"]) == (3, 2)
    assert import_(w.c, w.bundle).already_imported


def test_verify_refuses_unknown_signer_and_altered_payload_with_exit_4(w, capsys):
    payload, _ = read_bundle(w.bundle)
    unknown = resealed(w, payload, "x.intake", signer=w.x)
    code, out, err = run_cli(w.c, w.pfile, "verify", unknown, capsys=capsys)
    assert code == 4 and out == "" and err.count("\n") == 1 and "trust registry" in err
    flipped = resealed(w, payload, "f.intake")
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0x01
    flipped.write_bytes(bytes(data))
    code, out, err = run_cli(w.c, w.pfile, "verify", flipped, capsys=capsys)
    assert code == 4 and out == "" and err.count("\n") == 1 and "damaged" in err
    code, out, err = run_cli(w.c, w.pfile, "verify", w.bundle, capsys=capsys)
    assert code == 0 and "Status: trusted" in out
