-- Lifecycle: tombstones (retraction), anonymised views made for export, receipts from
-- recipients, and attachments erased locally after their delivery was confirmed.

-- Signed tombstones: a grow-only set (rows are never deleted or changed). `body` is the exact
-- canonical JSON the signature covers; id = SHA-256 of it. scope: 'case' erases the whole
-- case, 'identifying' only its protected answers and the attachments they name.
CREATE TABLE tombstones (
    id          TEXT PRIMARY KEY CHECK (length(id) = 64),
    case_id     TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('case', 'identifying')),
    author      TEXT NOT NULL CHECK (length(author) = 32),
    created_at  TEXT NOT NULL,
    body        BLOB NOT NULL,
    signature   BLOB NOT NULL CHECK (length(signature) = 64),
    received_at TEXT NOT NULL
) STRICT;
CREATE INDEX tombstones_case ON tombstones (case_id);

CREATE TRIGGER tombstones_no_update BEFORE UPDATE ON tombstones
BEGIN
    SELECT RAISE(ABORT, 'tombstones are never changed');
END;

CREATE TRIGGER tombstones_no_delete BEFORE DELETE ON tombstones
BEGIN
    SELECT RAISE(ABORT, 'tombstones are never removed');
END;

-- Attachments a protected answer of the case named in some revision (face photographs):
-- an identifying-only tombstone removes them from every revision of the case, whatever order
-- the revisions arrived in. Grow-only.
CREATE TABLE protected_hashes (
    case_id TEXT NOT NULL,
    sha256  TEXT NOT NULL CHECK (length(sha256) = 64),
    PRIMARY KEY (case_id, sha256)
) STRICT, WITHOUT ROWID;

-- Anonymised views this device derived from its cases for recipients who may only have them
-- anonymously (docs/ARCHITECTURE.md "Lifecycle"). They are revisions signed by this device
-- that never enter the local revision graph; `source_heads` (JSON list) are the heads they
-- were made from, known only here.
CREATE TABLE anonymised_views (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE CHECK (length(id) = 64),
    case_id      TEXT NOT NULL,
    source_heads TEXT NOT NULL,
    body         BLOB NOT NULL,
    signature    BLOB NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX anonymised_views_case ON anonymised_views (case_id, seq);

-- Stripped copies of photographs: which original each view copy was made from.
CREATE TABLE anonymised_blobs (
    original_sha256 TEXT PRIMARY KEY CHECK (length(original_sha256) = 64),
    stripped_sha256 TEXT NOT NULL CHECK (length(stripped_sha256) = 64)
) STRICT;

-- Signed receipts received from recipients: `recipient` confirmed holding `item` (a
-- revision, tombstone or attachment hash) from bundle `bundle_id`.
CREATE TABLE receipts (
    id          TEXT PRIMARY KEY CHECK (length(id) = 64),
    recipient   TEXT NOT NULL CHECK (length(recipient) = 32),
    bundle_id   TEXT NOT NULL,
    body        BLOB NOT NULL,
    signature   BLOB NOT NULL CHECK (length(signature) = 64),
    received_at TEXT NOT NULL
) STRICT;

CREATE TABLE deliveries (
    item      TEXT NOT NULL CHECK (length(item) = 64),
    kind      TEXT NOT NULL CHECK (kind IN ('revision', 'tombstone', 'attachment')),
    recipient TEXT NOT NULL CHECK (length(recipient) = 32),
    receipt   TEXT NOT NULL,
    PRIMARY KEY (item, recipient, receipt)
) STRICT, WITHOUT ROWID;
CREATE INDEX deliveries_recipient ON deliveries (recipient);

-- Attachments erased from this vault after a recipient confirmed holding them.
CREATE TABLE erased_attachments (
    sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
    case_id      TEXT NOT NULL,
    delivered_to TEXT NOT NULL,
    erased_at    TEXT NOT NULL,
    PRIMARY KEY (sha256, case_id)
) STRICT, WITHOUT ROWID;
