"""Protocol versions used by revisions, kept in the vault so old records stay readable.

Each revision names `{id, version, sha256}`. The exact protocol file is stored in the
`protocols` table the first time a revision uses it (or when a bundle carries it), and a
record is always evaluated with the version it was made under.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from intake_app.errors import NotFound, ProtocolError
from intake_app.paths import resources_dir
from intake_app.protocol.loader import load_protocol, load_protocol_bytes

DEFAULT_PROTOCOL = "torture-intake"


def protocol_ref(protocol: Any) -> dict[str, Any]:
    return {"id": protocol.id, "version": int(protocol.version), "sha256": protocol.sha256}


def protocol_content(protocol: Any, base: Path | None = None) -> bytes:
    """The exact bytes of a shipped protocol's file (their SHA-256 is `protocol.sha256`)."""
    folder = base or resources_dir() / "protocols"
    path = folder / protocol.id / f"v{protocol.version}.yaml"
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != protocol.sha256:
        raise ProtocolError(f"The protocol file {path.name} changed while in use.")
    return data


class ProtocolShelf:
    """Loads protocols by id (newest) or by a revision's reference, with a small cache.

    `base` replaces resources/protocols (tests, or a folder of protocols under development).
    """

    def __init__(self, base: Path | None = None, default: str = DEFAULT_PROTOCOL) -> None:
        self._base = base
        self.default = default
        self._by_sha: dict[str, Any] = {}
        self._current: dict[str, Any] = {}

    def current(self, protocol_id: str | None = None) -> Any:
        """The newest shipped version of a protocol (by default the shelf's default)."""
        protocol_id = protocol_id or self.default
        if protocol_id not in self._current:
            protocol = load_protocol(protocol_id, base=self._base)
            self._current[protocol_id] = protocol
            self._by_sha[protocol.sha256] = protocol
        return self._current[protocol_id]

    def remember(self, conn: Any, protocol: Any, content: bytes | None = None) -> None:
        """Store the protocol's file (`content`, else the shipped file) in the vault if it is
        not there yet."""
        self._by_sha.setdefault(protocol.sha256, protocol)
        known = conn.execute(
            "SELECT 1 FROM protocols WHERE sha256 = ?", (protocol.sha256,)
        ).fetchone()
        if known is None:
            conn.execute(
                "INSERT INTO protocols (sha256, id, version, content) VALUES (?, ?, ?, ?)",
                (
                    protocol.sha256,
                    protocol.id,
                    int(protocol.version),
                    content if content is not None else protocol_content(protocol, self._base),
                ),
            )

    def remember_file(self, conn: Any, content: bytes) -> Any:
        """Store a protocol file carried by a bundle; returns the loaded protocol."""
        protocol = load_protocol_bytes(content)
        self.remember(conn, protocol, content)
        return protocol

    def for_ref(self, conn: Any, ref: dict[str, Any]) -> Any | None:
        """The protocol a revision was made under, or None when this vault lacks it."""
        sha = ref.get("sha256")
        if not isinstance(sha, str):
            return None
        if sha in self._by_sha:
            return self._by_sha[sha]
        row = conn.execute("SELECT content FROM protocols WHERE sha256 = ?", (sha,)).fetchone()
        protocol = load_protocol_bytes(bytes(row[0])) if row is not None else self._shipped(ref)
        if protocol is not None and protocol.sha256 == sha:
            self._by_sha[sha] = protocol
            return protocol
        return None

    def _shipped(self, ref: dict[str, Any]) -> Any | None:
        try:
            version = ref.get("version")
            if not isinstance(version, int):
                return None
            return load_protocol(str(ref.get("id")), version=version, base=self._base)
        except (ProtocolError, NotFound, OSError, ValueError):
            return None
