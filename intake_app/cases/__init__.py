"""Cases: revisions, the case store, attachments, full-text search, demo data."""
