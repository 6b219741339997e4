"""Fuzzing the bundle manifest: byte mutations and structural ones (a field replaced by any
JSON, removed, or added) give a Manifest or a typed refusal, and whatever is accepted
round-trips exactly."""

from __future__ import annotations

import json

from fuzz_support import JSON, budget, hostile_bytes, only_typed_errors
from hypothesis import given
from hypothesis import strategies as st

from intake_app.bundles.manifest import parse_manifest
from intake_app.canonical import canonical_json


def check(blob: bytes) -> None:
    manifest, refusal = only_typed_errors(parse_manifest, blob)
    if refusal is None:
        assert parse_manifest(manifest.to_bytes()) == manifest


@budget(500)
@given(data=st.data())
def test_manifest_bytes_mutated(samples, data) -> None:
    check(data.draw(hostile_bytes(samples.manifest)))


@budget(250)
@given(data=st.data())
def test_manifest_fields_replaced_removed_or_added(samples, data) -> None:
    doc = json.loads(samples.manifest)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        action = data.draw(st.sampled_from(["replace", "remove", "add", "member"]))
        if action == "add":
            doc[data.draw(st.text(max_size=10))] = data.draw(JSON)
        elif action == "member" and isinstance(doc.get("members"), list) and doc["members"]:
            item = data.draw(st.sampled_from(doc["members"]))
            if isinstance(item, dict) and item:
                item[data.draw(st.sampled_from(sorted(item)))] = data.draw(JSON)
        elif doc:
            key = data.draw(st.sampled_from(sorted(doc)))
            if action == "remove":
                del doc[key]
            else:
                doc[key] = data.draw(JSON)
    try:
        blob = canonical_json(doc)
    except Exception:  # noqa: BLE001 - values JSON cannot carry (huge ints): not a manifest
        blob = json.dumps(doc, ensure_ascii=False).encode()
    check(blob)
