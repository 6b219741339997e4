-- Vault core: settings, this device's keys, and the hash-chained audit log.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Exactly one row: this vault's device identity. Secrets live only inside the encrypted DB.
CREATE TABLE device_identity (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('monitor', 'lawyer', 'coordinator')),
    category       TEXT NOT NULL,
    ed25519_secret BLOB NOT NULL CHECK (length(ed25519_secret) = 32),
    age_identity   TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    next_sequence  INTEGER NOT NULL,
    created_at     TEXT NOT NULL
) STRICT;

-- Append-only: who (device fingerprint), when, what action, which record; never content.
-- hash = SHA-256(prev_hash || canonical JSON of {at, device, action, record}).
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    device    TEXT NOT NULL,
    action    TEXT NOT NULL,
    record    TEXT,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;

-- Guards against our own bugs; someone holding the key can drop them, which verify() catches.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
