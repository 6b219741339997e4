-- Identities met and trusted: the trust registry (with revocation), devices known through
-- bundles, the bundles already imported, and what was sent to whom. Cards and the registry
-- are confidential (they link people to keys), so they live only here, inside the vault.

-- Contacts this vault trusts, each added from a card checked in person (fingerprint read
-- aloud). Revocation (DESIGN "Identities and trust"): revoked_at set; last_seq = N, the
-- last sequence the owner confirms; allowed_bundle_hashes = JSON list of payload SHA-256
-- the owner really sent (or NULL). Revoked with last_seq NULL: refused entirely.
CREATE TABLE trusted_contacts (
    fingerprint           TEXT PRIMARY KEY CHECK (length(fingerprint) = 32),
    name                  TEXT NOT NULL,
    role                  TEXT NOT NULL,
    category              TEXT NOT NULL,
    card                  TEXT NOT NULL,
    ed25519_public_key    BLOB NOT NULL CHECK (length(ed25519_public_key) = 32),
    x25519_public_key     BLOB NOT NULL CHECK (length(x25519_public_key) = 32),
    minisign_key_id       BLOB NOT NULL CHECK (length(minisign_key_id) = 8),
    added_at              TEXT NOT NULL,
    revoked_at            TEXT,
    last_seq              INTEGER,
    allowed_bundle_hashes TEXT,
    CHECK (revoked_at IS NOT NULL OR (last_seq IS NULL AND allowed_bundle_hashes IS NULL))
) STRICT;
-- `export --to NAME` must name one contact only.
CREATE UNIQUE INDEX trusted_contacts_name ON trusted_contacts (name);
CREATE INDEX trusted_contacts_key_id ON trusted_contacts (minisign_key_id);

-- Authors met through bundles (e.g. a monitor's revisions re-exported by a coordinator):
-- their keys let imported revisions be verified; knowing a device is not trusting it.
CREATE TABLE known_devices (
    fingerprint        TEXT PRIMARY KEY CHECK (length(fingerprint) = 32),
    ed25519_public_key BLOB NOT NULL CHECK (length(ed25519_public_key) = 32),
    x25519_public_key  BLOB NOT NULL CHECK (length(x25519_public_key) = 32),
    card               TEXT,
    first_seen         TEXT NOT NULL
) STRICT;

-- Every imported bundle: the same payload again is a no-op; the same (device, seq) with
-- other contents is equivocation.
CREATE TABLE bundles_seen (
    payload_sha256 TEXT PRIMARY KEY CHECK (length(payload_sha256) = 64),
    device         TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    bundle_id      TEXT NOT NULL,
    imported_at    TEXT NOT NULL,
    UNIQUE (device, seq)
) STRICT;

-- Which revisions went to which recipient in which bundle (retractions follow them).
CREATE TABLE sent (
    revision_id TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    bundle_id   TEXT NOT NULL,
    sent_at     TEXT NOT NULL,
    PRIMARY KEY (revision_id, recipient, bundle_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX sent_bundle ON sent (bundle_id);
