"""Reports: statistics, PDF documents and CSV files built from the vault (no Qt)."""
