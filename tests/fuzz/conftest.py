"""A real bundle (monitor A -> coordinator C), its tar payload and manifest: the samples the
fuzz tests mutate."""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bundle_support import Party, attach, export, make_party, new_case, read_bundle, trust
from pyrage import x25519

from intake_app.bundles import agefile


@dataclass(frozen=True)
class Samples:
    root: Path
    a: Party = field(repr=False)
    c: Party = field(repr=False)
    bundle: bytes = field(repr=False)
    payload_tar: bytes = field(repr=False)
    manifest: bytes = field(repr=False)
    case_id: str

    def fresh_coordinator(self, where: Path) -> Party:
        """A copy of C's vault (before any import) at `where`."""
        shutil.copytree(self.c.path, where)
        return Party(self.c.name, where, self.c.role, self.c.identity)


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    root = tmp_path_factory.mktemp("fuzz-samples")
    a, c = make_party(root, "A"), make_party(root, "C", "coordinator")
    trust(c, a)
    trust(a, c)
    case_id = new_case(a, {"victim.pseudonym": "Ә-қ\u202e-1", "incident.narrative": "ИВС 🙂"})
    photo = root / "photo.bin"
    photo.write_bytes(bytes(range(256)) * 300)
    attach(a, case_id, photo)
    path = export(a, root / "sample.intake", "C")
    payload, _ = read_bundle(path)
    plain = io.BytesIO()
    agefile.decrypt(io.BytesIO(payload), [x25519.Identity.from_str(c.identity.age_identity)],
                    plain)  # fmt: skip
    tar = plain.getvalue()
    size = int(tar[124:136].rstrip(b"\0 ") or b"0", 8)  # first member: manifest.json
    manifest = tar[512 : 512 + size]
    json.loads(manifest)
    return Samples(root=root, a=a, c=c, bundle=path.read_bytes(), payload_tar=tar,
                   manifest=manifest, case_id=case_id)  # fmt: skip
