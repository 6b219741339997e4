"""Shared helpers of the bundle tests: real vaults that trust each other, deterministic
dumps, and a workshop that opens a real bundle and reseals it (altered) with real keys.

Tampered bundles are built from bundles made by the real export code: decrypt with a
recipient's identity, change members or the manifest, then encrypt and sign again with the
real agefile/minisign code and the keys of whichever device the attack needs.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyrage import x25519

from intake_app.bundles import agefile, container, minisign
from intake_app.bundles import manifest as mf
from intake_app.bundles.payload import PayloadWriter, _ustar_header, iter_members
from intake_app.canonical import canonical_json
from intake_app.cases.attachments import open_blob
from intake_app.cases.store import CaseStore
from intake_app.cli.commands.case_cmds import show_json
from intake_app.cli.main import main as cli_main
from intake_app.identity.card import card_of
from intake_app.identity.keys import DeviceIdentity
from intake_app.identity.trust import TrustRegistry
from intake_app.vault import Vault
from intake_app.vault.blobfiles import BLOB_DIR

PASSPHRASE = "correct horse battery staple"


@dataclass
class Party:
    """A device with its own vault (opened on demand, closed after each use)."""

    name: str
    path: Path
    role: str
    identity: DeviceIdentity = field(repr=False)

    def open(self) -> Vault:
        return Vault.open(self.path, PASSPHRASE)

    @property
    def fingerprint(self) -> str:
        return self.identity.fingerprint


def make_party(root: Path, name: str, role: str = "monitor") -> Party:
    vault = Vault.create(root / name.lower().replace(" ", "-"), PASSPHRASE, name=name, role=role)
    try:
        return Party(name, vault.path, role, vault.identity)
    finally:
        vault.close()


def trust(holder: Party, *others: Party) -> None:
    vault = holder.open()
    try:
        registry = TrustRegistry(vault)
        for other in others:
            registry.add(card_of(other.identity), other.name)
    finally:
        vault.close()


# Consent to share with every recipient category by name (issue 8: export sends a case only
# where `consent.share.<category>` allows it); tests of consent itself pass their own.
SHARE_NAMED = {"consent.interview": "yes", **{
    f"consent.share.{c}": "named"
    for c in ("coalition", "lawyer", "prosecutor", "ombudsman", "un_sr")}}  # fmt: skip


def new_case(party: Party, answers: dict[str, Any] | None = None) -> str:
    vault = party.open()
    try:
        given = answers or {"victim.pseudonym": f"P-{os.urandom(2).hex()}"}
        if not any(k.startswith("consent.") for k in given):
            given = {**SHARE_NAMED, **given}
        return CaseStore(vault).new_case(given)
    finally:
        vault.close()


def save(party: Party, case_id: str, answers: dict[str, Any]) -> str:
    vault = party.open()
    try:
        if not any(k.startswith("consent.") for k in answers):
            answers = {**SHARE_NAMED, **answers}
        return CaseStore(vault).save(case_id, answers)
    finally:
        vault.close()


def attach(party: Party, case_id: str, path: Path) -> str:
    vault = party.open()
    try:
        return CaseStore(vault).attach(case_id, path)[0]
    finally:
        vault.close()


def export(party: Party, out: Path, *to: str, cases: list[str] | None = None) -> Path:
    from intake_app.bundles.export import export_bundle

    vault = party.open()
    try:
        export_bundle(vault, list(to), out, case_ids=cases)
    finally:
        vault.close()
    return out


def import_(party: Party, bundle: Path) -> Any:
    from intake_app.bundles.importer import import_bundle

    vault = party.open()
    try:
        return import_bundle(vault, bundle)
    finally:
        vault.close()


def run_cli(party: Party, passphrase_file: Path, *args: Any, capsys: Any) -> tuple[int, str, str]:
    """The real CLI entry point in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = cli_main(["--vault", str(party.path), "--passphrase-file", str(passphrase_file),
                     *map(str, args)])  # fmt: skip
    out = capsys.readouterr()
    return code, out.out, out.err


# ---- dumps -----------------------------------------------------------------------------


def full_dump(party: Party) -> str:
    """Every row of every table (sorted), plus the vault folder's file names: any change to
    the vault shows as a different digest."""
    vault = party.open()
    try:
        conn = vault.conn
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]  # fmt: skip
        digest = hashlib.sha256()
        for table in tables:
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608
            digest.update(table.encode() + repr(sorted(map(repr, rows))).encode())
        files = sorted(str(p.relative_to(party.path)) for p in party.path.rglob("*"))
        shown = [f for f in files if not f.endswith("-shm") and f != "staging"]
        return digest.hexdigest() + " " + " ".join(shown)
    finally:
        vault.close()


def read_blob(conn: Any, sha: str) -> bytes:
    with open_blob(conn, sha) as fh:
        return fh.read()


def attachment_files(folder: Path) -> list[str]:
    """The sealed attachment files in a vault folder."""
    blobs = folder / BLOB_DIR
    return sorted(p.name for p in blobs.iterdir()) if blobs.exists() else []


def case_dump(party: Party) -> str:
    """`case show --json` of every case with heads, revision flags, attachments and known
    devices: what import order must not change (no local time stamps)."""
    vault = party.open()
    try:
        store = CaseStore(vault)
        conn = vault.conn
        case_ids = [r[0] for r in conn.execute("SELECT DISTINCT case_id FROM revisions ORDER BY 1")]
        data = {
            "cases": {c: show_json(store, store.get(c)) for c in case_ids},
            "heads": sorted(map(list, conn.execute("SELECT case_id, revision_id FROM heads"))),
            "revisions": sorted(map(list, conn.execute(
                "SELECT id, case_id, waiting, signer_revoked, body, signature FROM revisions"))),
            "blobs": sorted(map(list, conn.execute(
                "SELECT sha256, size, media_type, captured_at FROM blobs"))),
            "contents": sorted(
                [sha, hashlib.sha256(read_blob(conn, sha)).hexdigest()]
                for (sha,) in conn.execute("SELECT sha256 FROM blobs").fetchall()
            ),
            # File names are random per vault: their count shows a leftover or a missing one.
            "files": len(attachment_files(vault.path)),
            "protocols": sorted(r[0] for r in conn.execute("SELECT sha256 FROM protocols")),
            "known": sorted(r[0] for r in conn.execute("SELECT fingerprint FROM known_devices")),
        }  # fmt: skip
        return json.dumps(data, sort_keys=True, ensure_ascii=False, default=repr)
    finally:
        vault.close()


def staging_files(party: Party) -> list[str]:
    folder = party.path / "staging"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---- opening and resealing bundles -------------------------------------------------------


@dataclass
class OpenBundle:
    """A decrypted bundle: its members (name, bytes) in order and its outer comment."""

    members: list[tuple[str, bytes]]
    comment: str
    payload: bytes

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads(self.members[0][1])


def read_bundle(path: Path) -> tuple[bytes, bytes]:
    """(payload.age bytes, signature bytes) of a well-formed bundle."""
    with open(path, "rb") as fh:
        box = container.read_container(fh)
        fh.seek(box.payload_offset)
        return fh.read(box.payload_size), box.signature


def open_bundle(path: Path, identity: DeviceIdentity) -> OpenBundle:
    payload, signature = read_bundle(path)
    plain = io.BytesIO()
    agefile.decrypt(io.BytesIO(payload), [x25519.Identity.from_str(identity.age_identity)], plain)
    plain.seek(0)
    members = [(m.name, m.reader.read()) for m in iter_members(plain)]
    comment = minisign.parse_signature(signature).trusted_comment
    return OpenBundle(members, comment, payload)


def tar_bytes(members: list[tuple[str, bytes]]) -> bytes:
    """A deterministic tar stream, as the exporter writes it, of any members (duplicates and
    odd names included: the reader, not the writer, must refuse them)."""
    out = io.BytesIO()
    for name, data in members:
        out.write(_ustar_header(name, len(data)) + data + bytes(-len(data) % 512))
    out.write(bytes(1024))
    return out.getvalue()


def checked_tar_bytes(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    writer = PayloadWriter(out)
    for name, data in members:
        writer.add(name, data)
    writer.close()
    return out.getvalue()


def encrypt(plain: bytes, recipients: list[str]) -> bytes:
    out = io.BytesIO()
    agefile.encrypt(io.BytesIO(plain), out, recipients)
    return out.getvalue()


def sign(identity: DeviceIdentity, data: bytes, comment: str) -> bytes:
    return minisign.sign(identity.signing_key, identity.minisign_key_id, data, comment).encode()


def write_bundle(path: Path, payload: bytes, signature: bytes) -> Path:
    with open(path, "wb") as fh:
        container.write_container(fh, io.BytesIO(payload), len(payload), signature)
    return path


def seal(path: Path, payload: bytes, signer: DeviceIdentity, comment: str) -> Path:
    """A bundle file around `payload` (age bytes), signed by `signer` with `comment`."""
    return write_bundle(path, payload, sign(signer, payload, comment))


def manifest_for(
    members: list[tuple[str, bytes]], base: dict[str, Any], **changes: Any
) -> dict[str, Any]:
    """`base` (a manifest) with its member list recomputed from `members` (records after
    the manifest and its signature) and `changes` applied."""
    kinds = {"cards": mf.KIND_CARD, "protocols": mf.KIND_PROTOCOL, "revisions": mf.KIND_REVISION,
             "blobs": mf.KIND_BLOB}  # fmt: skip
    listed = [
        {"kind": kinds[name.split("/")[0]], "path": name,
         "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in members
    ]  # fmt: skip
    return {**base, "members": listed, **changes}


def rebuild(
    path: Path,
    author: DeviceIdentity,
    recipients: list[str],
    manifest: dict[str, Any],
    records: list[tuple[str, bytes]],
    *,
    outer_signer: DeviceIdentity | None = None,
    comment: str | None = None,
    manifest_comment: str | None = None,
    raw_manifest: bytes | None = None,
) -> Path:
    """A complete bundle: `manifest` signed by `author`, then `records`, encrypted to
    `recipients`, the outer signature by `outer_signer` (default: the author)."""
    comment = comment or mf.trusted_comment(manifest["bundle_id"], manifest["seq"])
    manifest_bytes = raw_manifest if raw_manifest is not None else canonical_json(manifest)
    msig = sign(author, manifest_bytes, manifest_comment or comment)
    plain = tar_bytes([("manifest.json", manifest_bytes), ("manifest.json.minisig", msig),
                       *records])  # fmt: skip
    payload = encrypt(plain, recipients)
    return seal(path, payload, outer_signer or author, comment)


REPO = Path(__file__).resolve().parent.parent


def cli_command(args: list[Any]) -> tuple[list[str], dict[str, str]]:
    """(argv, env) for `intake-app ARGS` in a child process: fast KDF, no real keyring."""
    env = dict(os.environ)
    env.update(
        INTAKE_TEST_FAST_KDF="1",
        PYTEST_CURRENT_TEST=env.get("PYTEST_CURRENT_TEST", "cli subprocess"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    env.pop("INTAKE_VAULT", None)
    return [sys.executable, "-m", "intake_app.cli", *map(str, args)], env
