"""This vault's device identity row: written once at creation, read at every unlock."""

from __future__ import annotations

import secrets

import sqlcipher3

from intake_app.errors import IntakeError, VaultDamaged
from intake_app.identity.keys import DeviceIdentity
from intake_app.vault import audit as audit_log
from intake_app.vault.header import DAMAGED_MESSAGE

SEQUENCE_OFFSET_BITS = 48


def store_identity(conn: sqlcipher3.Connection, identity: DeviceIdentity) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "INSERT INTO device_identity (id, name, role, category, ed25519_secret, "
            "age_identity, fingerprint, next_sequence, created_at) "
            "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                identity.name,
                identity.role,
                identity.category,
                identity.ed25519_secret_bytes(),
                identity.age_identity,
                identity.fingerprint,
                secrets.randbits(SEQUENCE_OFFSET_BITS),
                audit_log.utc_now(),
            ),
        )
        audit_log.append(conn, identity.fingerprint, "vault.create")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def load_identity(conn: sqlcipher3.Connection) -> DeviceIdentity:
    row = conn.execute(
        "SELECT name, role, category, ed25519_secret, age_identity, fingerprint "
        "FROM device_identity WHERE id = 1"
    ).fetchone()
    if row is None:
        raise VaultDamaged(DAMAGED_MESSAGE)
    try:
        identity = DeviceIdentity.from_stored(row[0], row[1], row[2], bytes(row[3]), row[4])
    except (ValueError, IntakeError) as exc:
        raise VaultDamaged(DAMAGED_MESSAGE) from exc
    if identity.fingerprint != row[5]:
        raise VaultDamaged(DAMAGED_MESSAGE)
    return identity
