"""The data lifecycle: consent at export, anonymised views, retraction (tombstones),
receipts, backup and restore, and destroying a vault. See docs/ARCHITECTURE.md "Lifecycle"."""
