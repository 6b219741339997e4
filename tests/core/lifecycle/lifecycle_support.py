"""Helpers of the lifecycle tests: parties of any recipient category, a case full of
markers (identifying and not), photos with GPS EXIF, and scans of the vault's files for
content that should be gone: a decrypted plaintext export (sqlcipher_export) and every raw
page of vault.db and vault.db-wal decrypted with the vault's key."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from PIL import Image

from intake_app.cases.attachments import open_blob
from intake_app.cases.store import CaseStore
from intake_app.identity.card import card_of
from intake_app.identity.trust import TrustRegistry
from intake_app.vault import Vault

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bundle_support import PASSPHRASE, Party  # noqa: E402

CATEGORIES = ("coalition", "lawyer", "prosecutor", "ombudsman", "un_sr")
PAGE_SIZE = 4096
RESERVE = 80  # SQLCipher 4: 16-byte IV + 64-byte HMAC-SHA512 per page
GPS_SERIAL = "SERIAL-QX7731-GPSCAM"


def make_party(root: Path, name: str, role: str = "monitor", category: str | None = None) -> Party:
    vault = Vault.create(
        root / name.lower().replace(" ", "-"), PASSPHRASE, name=name, role=role, category=category
    )
    try:
        return Party(name, vault.path, role, vault.identity)
    finally:
        vault.close()


def trust_all(*parties: Party) -> None:
    for holder in parties:
        vault = holder.open()
        try:
            registry = TrustRegistry(vault)
            for other in parties:
                if other is not holder:
                    registry.add(card_of(other.identity), other.name)
        finally:
            vault.close()


def consent(value: Any = "named", **per_category: Any) -> dict[str, Any]:
    """Consent answers: `value` for every category unless named; None leaves one missing."""
    out: dict[str, Any] = {"consent.interview": "yes", "consent.photos": "yes"}
    for category in CATEGORIES:
        chosen = per_category.get(category, value)
        if chosen is not None:
            out[f"consent.share.{category}"] = chosen
    return out


@dataclass(frozen=True)
class Markers:
    """Distinctive words a case holds; after erasure none may be found anywhere."""

    name: str
    contact: str
    narrative: str
    pseudonym: str

    def all(self) -> list[str]:
        return [self.name, self.contact, self.narrative, self.pseudonym]

    def identifying(self) -> list[str]:
        return [self.name, self.contact]


def markers(tag: str) -> Markers:
    return Markers(
        name=f"Zhanarbekova{tag}quill",
        contact=f"ContactWordmeridian{tag}",
        narrative=f"Narrativeheliotrope{tag}",
        pseudonym=f"Pseudonymlantern{tag}",
    )


def case_answers(m: Markers, share: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        **(share if share is not None else consent()),
        "victim.full_name": m.name,
        "victim.birth_date": "1990-04-12",
        "victim.contact": m.contact,
        "victim.pseudonym": m.pseudonym,
        "victim.sex": "female",
        "incident.narrative": f"He said {m.narrative} twice.",
    }


def gps_jpeg(path: Path, colour: tuple[int, int, int] = (180, 40, 40), fmt: str = "JPEG") -> Path:
    """A real photograph file with EXIF GPS coordinates and a device serial."""
    img = Image.new("RGB", (64, 48), colour)
    for x in range(64):
        img.putpixel((x, x % 48), (x * 3 % 255, 90, 30))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x0110] = GPS_SERIAL
    exif[0x8825] = {1: "N", 2: (51.0, 13.0, 48.0), 3: "E", 4: (51.0, 22.0, 0.0)}
    buf = io.BytesIO()
    img.save(buf, fmt, exif=exif)
    path.write_bytes(buf.getvalue())
    return path


def case_with_photos(
    party: Party, m: Markers, tmp: Path, share: dict[str, Any] | None = None
) -> tuple[str, str, str]:
    """A case whose injury photo (named by a non-protected answer) and face photo (named by
    a protected answer) both carry GPS EXIF. Returns (case id, injury sha, face sha)."""
    vault = party.open()
    try:
        store = CaseStore(vault)
        answers = case_answers(m, share)
        case_id = store.new_case(answers)
        _, injury = store.attach(case_id, gps_jpeg(tmp / f"injury-{m.name}.jpg"))
        _, face = store.attach(case_id, gps_jpeg(tmp / f"face-{m.name}.jpg", (20, 200, 90)))
        answers = {
            **answers,
            "evidence.injury_photos": [injury["sha256"]],
            "evidence.face_photos": [face["sha256"]],
        }
        store.save(case_id, answers)
        return case_id, injury["sha256"], face["sha256"]
    finally:
        vault.close()


# ---- scanning the vault's files ----------------------------------------------------------


def _decrypt_page(key: bytes, page: bytes, first: bool) -> bytes:
    iv = page[PAGE_SIZE - RESERVE : PAGE_SIZE - RESERVE + 16]
    start = 16 if first else 0  # page 1 begins with the file's salt
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(page[start : PAGE_SIZE - RESERVE]) + decryptor.finalize()


def raw_plaintext(folder: Path, key: bytes) -> bytes:
    """Every page of vault.db and every frame of vault.db-wal, decrypted (free pages and
    old frames included: what a thief holding the key could read)."""
    out = bytearray()
    db = (folder / "vault.db").read_bytes()
    assert len(db) % PAGE_SIZE == 0
    for offset in range(0, len(db), PAGE_SIZE):
        out += _decrypt_page(key, db[offset : offset + PAGE_SIZE], offset == 0)
    wal_path = folder / "vault.db-wal"
    wal = wal_path.read_bytes() if wal_path.exists() else b""
    for offset in range(32, len(wal) - 24, PAGE_SIZE + 24):
        frame = wal[offset + 24 : offset + 24 + PAGE_SIZE]
        if len(frame) == PAGE_SIZE:
            out += _decrypt_page(key, frame, False) + _decrypt_page(key, frame, True)
    return bytes(out)


def plaintext_export(vault: Vault, target: Path) -> bytes:
    """The vault's logical content decrypted into a plaintext SQLite file (sqlcipher_export),
    FTS shadow tables included; returns its bytes."""
    conn = vault.conn
    conn.execute("ATTACH DATABASE ? AS plaintext KEY ''", (str(target),))
    try:
        conn.execute("SELECT sqlcipher_export('plaintext')").fetchall()
    finally:
        conn.execute("DETACH DATABASE plaintext")
    data = target.read_bytes()
    target.unlink()
    return data


def found(data: bytes, word: str) -> bool:
    """The word, or (for FTS terms, stored lower-case and prefix-compressed) its tail."""
    low = data.lower()
    return word.encode() in data or word.lower()[-10:].encode() in low


def attachment_plaintext(vault: Vault) -> bytes:
    """Every sealed attachment file the database still holds a key for, decrypted (a file
    whose row is gone has no key left anywhere: nothing can read it)."""
    out = bytearray()
    for (sha,) in vault.conn.execute("SELECT sha256 FROM blobs"):
        with open_blob(vault.conn, sha) as fh:
            out += fh.read()
    return bytes(out)


def leftovers_in(vault: Vault, words: list[str], scratch: Path) -> list[str]:
    """Which of `words` can still be found in the open vault's files (decrypted), WAL and
    attachment files too."""
    raw = raw_plaintext(vault.path, bytes(vault._db_key))  # noqa: SLF001 - the test reads pages
    plain = plaintext_export(vault, scratch / "plain.db") + attachment_plaintext(vault)
    return [w for w in words if found(plain, w) or found(raw, w)]


def leftovers(party: Party, words: list[str], scratch: Path) -> list[str]:
    vault = party.open()
    try:
        return leftovers_in(vault, words, scratch)
    finally:
        vault.close()
