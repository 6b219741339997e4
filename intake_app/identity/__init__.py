"""Device keys, identity cards, trust registry, revocation."""
