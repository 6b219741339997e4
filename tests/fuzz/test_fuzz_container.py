"""Fuzzing the bundle container (the outer ZIP) and the whole import path with mutated real
bundles: only typed refusals, and a refused bundle changes nothing in the vault."""

from __future__ import annotations

import io
from pathlib import Path

from bundle_support import full_dump, staging_files
from fuzz_support import budget, hostile_bytes, mutations, only_typed_errors
from hypothesis import given
from hypothesis import strategies as st

from intake_app.bundles import container
from intake_app.bundles.importer import import_bundle
from intake_app.bundles.verify import verify_bundle


@budget(500)
@given(data=st.data())
def test_container_reader_refuses_with_typed_errors_only(samples, data) -> None:
    blob = data.draw(hostile_bytes(samples.bundle))
    box, refusal = only_typed_errors(container.read_container, io.BytesIO(blob))
    if refusal is None:
        # Whatever is accepted lies inside the file and has a signature entry.
        assert box.payload_offset > 0 and box.payload_offset + box.payload_size <= len(blob)
        assert box.signature


def test_mutated_bundles_imported_refused_and_vault_unchanged(samples, tmp_path: Path) -> None:
    coordinator = samples.fresh_coordinator(tmp_path / "c")
    state = {"dump": full_dump(coordinator), "accepted": 0}
    target = tmp_path / "in.intake"

    @budget(80)
    @given(blob=mutations(samples.bundle, max_edits=3))
    def attempt(blob: bytes) -> None:
        target.write_bytes(blob)
        vault = coordinator.open()
        try:
            outer, refusal = only_typed_errors(verify_bundle, vault, target)
            result, refusal = only_typed_errors(import_bundle, vault, target)
        finally:
            vault.close()
        assert staging_files(coordinator) == []
        if refusal is None:
            # Only the unsigned parts can change and still pass (the untrusted comment).
            assert outer is not None
            state["accepted"] += 1
            state["dump"] = full_dump(coordinator)
        else:
            assert full_dump(coordinator) == state["dump"], "a refused bundle changed the vault"

    attempt()
    assert state["accepted"] < 80
