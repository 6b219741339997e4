-- Cases: revisions (immutable, content-addressed), derived heads, the case index used by
-- lists and statistics, drafts, attachments in chunks, protocols used by revisions, FTS.

-- Protocol files as shipped, so a record made under version N stays readable under N+1.
CREATE TABLE protocols (
    sha256  TEXT PRIMARY KEY,
    id      TEXT NOT NULL,
    version INTEGER NOT NULL,
    content BLOB NOT NULL
) STRICT;

CREATE TABLE revisions (
    id             TEXT PRIMARY KEY,
    case_id        TEXT NOT NULL,
    author         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    body           BLOB NOT NULL,
    signature      BLOB NOT NULL,
    -- 1 while a parent named by the revision has not arrived yet (an earlier bundle).
    waiting        INTEGER NOT NULL DEFAULT 0,
    -- 1 when imported under a signer revoked since (see DESIGN "Identities and trust").
    signer_revoked INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX revisions_case ON revisions (case_id, created_at);

CREATE TABLE revision_parents (
    revision_id TEXT NOT NULL,
    parent_id   TEXT NOT NULL,
    PRIMARY KEY (revision_id, parent_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX revision_parents_parent ON revision_parents (parent_id);

-- A revision is a head unless another revision of its case names it as a parent.
CREATE TABLE heads (
    case_id     TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    PRIMARY KEY (case_id, revision_id)
) STRICT, WITHOUT ROWID;

-- One row per case, derived from its head answers. `seq` is a stable integer key that the
-- full-text table uses as its rowid. Check items hold the expression value
-- ('done' | 'not_done' | 'unknown'), yes/no items 'yes' | 'no' | 'unknown'.
CREATE TABLE case_index (
    seq                INTEGER PRIMARY KEY,
    case_id            TEXT NOT NULL UNIQUE,
    pseudonym          TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    red_flags          TEXT NOT NULL DEFAULT '[]',
    conflict           INTEGER NOT NULL DEFAULT 0,
    waiting            INTEGER NOT NULL DEFAULT 0,
    sex                TEXT,
    age                REAL,
    minor              INTEGER,
    citizenship        TEXT,
    foreigner          INTEGER,
    city               TEXT,
    status             TEXT,
    complaint_register TEXT,
    fme_requested      TEXT,
    fme_conducted      TEXT,
    fppe_conducted     TEXT,
    lawyer_type        TEXT,
    lawyer_identified  TEXT,
    legal_rep_present  TEXT,
    protocol_id        TEXT,
    protocol_version   INTEGER,
    retracted          INTEGER NOT NULL DEFAULT 0
) STRICT;
-- The list shows newest first; these let a filtered page read in order without sorting.
CREATE INDEX case_index_updated ON case_index (updated_at, case_id);
CREATE INDEX case_index_city ON case_index (city, updated_at, case_id);
CREATE INDEX case_index_status ON case_index (status, updated_at, case_id);
-- Counts of the live (not retracted) cases read this small index, not every row.
CREATE INDEX case_index_retracted ON case_index (retracted);

-- Autosave: one row per case, overwritten, never exported.
CREATE TABLE drafts (
    case_id    TEXT PRIMARY KEY,
    body       BLOB NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- Attachments: content-addressed. Chunks are keyed by an integer `blob_id` so a file can be
-- streamed in before its hash is known; the blobs row is written last.
CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,
    blob_id     INTEGER NOT NULL UNIQUE,
    size        INTEGER NOT NULL,
    media_type  TEXT NOT NULL,
    captured_at TEXT,
    created_at  TEXT NOT NULL
) STRICT;
CREATE TABLE blob_chunks (
    blob_id INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    data    BLOB NOT NULL,
    PRIMARY KEY (blob_id, seq)
) STRICT;

-- Full text of the head answers, one row per case (rowid = case_index.seq). Identifying
-- answers (protected questions) sit in their own column so they can be erased apart.
-- Tokenizer choice: see intake_app/cases/search.py.
CREATE VIRTUAL TABLE answers_fts USING fts5 (
    body,
    protected,
    tokenize = 'unicode61 remove_diacritics 0'
);
