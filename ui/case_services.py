"""The GUI's calls into the case store, shaped for the screens and for workers.

Functions returning `Work` run on a worker thread (TaskRunner); the others are quick reads.
A task's plain reads go to a read-only connection of its own (TaskRunner runs each inside
`reading_apart()`); its `vault.write()` blocks share the one writer, serialised by its lock.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from intake_app.cases import attachments as blobs
from intake_app.cases.queries import CaseFilter
from intake_app.errors import NotFound
from intake_app.progress import CancelToken, Progress
from ui.session import Session
from ui.widgets.case_table import CaseQuery, CaseRow
from ui.workers import Work

THUMBNAIL_SIZE = 96
# Decoding a photo for a thumbnail needs it whole in memory: skip anything larger.
MAX_THUMBNAIL_SOURCE = 40 * 1024 * 1024

SORT_KEYS = {
    ("updated_at", True): "updated",
    ("updated_at", False): "updated_asc",
    ("pseudonym", False): "pseudonym",
    ("pseudonym", True): "pseudonym",
    ("city", False): "city",
    ("city", True): "city",
    ("status", False): "status",
    ("status", True): "status",
}


def case_filter(query: CaseQuery) -> CaseFilter:
    return CaseFilter(
        red_flag=query.extra.get("red_flag") or None,
        status=query.status or None,
        city=query.city or None,
        minor=True if query.minor else None,
        conflict=True if query.conflict else None,
        text=query.extra.get("text") or None,
    )


def fetch_page(session: Session, query: CaseQuery, offset: int, limit: int) -> list[CaseRow]:
    """One page of the case list, from the case index only (pseudonyms, never names)."""
    sort = SORT_KEYS.get((query.sort, query.descending), "updated")
    # Run on a worker: its own read-only connection, so a page never shows another
    # worker's write half done.
    with session.vault.reading():
        rows = session.cases.list_page(offset=offset, limit=limit, sort=sort,
                                       filters=case_filter(query))
    return [
        CaseRow(id=r.id, pseudonym=r.pseudonym or "", updated_at=r.updated_at,
                red_flags=tuple(r.red_flags), conflict=r.conflict, city=r.city or "",
                status=r.status or "", minor=bool(r.minor))
        for r in rows
    ]  # fmt: skip


def attach_files(session: Session, paths: list[Path]) -> Work:
    """Stream files into the vault (memory stays flat); returns their attachment entries."""
    vault = session.vault

    def work(progress: Progress, cancel: CancelToken) -> list[dict[str, Any]]:
        entries = []
        for path in paths:
            try:
                source = Path(path).open("rb")  # noqa: SIM115 - closed by the with below
            except OSError as exc:
                raise NotFound(f"Cannot read the file {Path(path).name}.") from exc
            with source, vault.write() as conn:
                total = Path(path).stat().st_size
                info = blobs.put_blob(conn, source, progress=progress, cancel=cancel,
                                      total=total)
                entries.append(blobs.attachment_entry(info, Path(path).name))
        return entries

    return work


def make_thumbnail(session: Session, sha: str) -> Work:
    """Decode a stored image into a small QImage, in memory only (never a file on disk)."""
    vault = session.vault

    def work(_progress: Progress, cancel: CancelToken) -> QImage | None:
        # This worker's own read-only connection (the GUI thread's is for it alone).
        with vault.reading() as conn:
            info = blobs.blob_info(conn, sha)
            if info is None or not info.media_type.startswith("image/"):
                return None
            if info.size > MAX_THUMBNAIL_SOURCE:
                return None
            with contextlib.closing(blobs.open_blob(conn, sha)) as src:
                data = src.read(MAX_THUMBNAIL_SOURCE + 1)
        cancel.check()
        image = QImage.fromData(data)
        if image.isNull():
            return None
        return image.scaled(THUMBNAIL_SIZE, THUMBNAIL_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                            Qt.TransformationMode.SmoothTransformation)

    return work
