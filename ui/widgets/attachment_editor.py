"""Attachments of a question: add by drag-and-drop or Qt's own file dialog, thumbnails made
in memory only (a QImage decoded from the vault's blob stream, never a file on disk)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui import dialogs
from ui.widgets.answer_editors import AnswerEditor, Pick, Tr
from ui.widgets.question_form import FormContext

THUMB = 96


class AttachmentEditor(AnswerEditor):
    def __init__(self, question: Any, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(question, ctx.pick, ctx.tr, parent)
        self._ctx = ctx
        self._hashes: list[str] = []
        self.list = QListWidget(self)
        self.list.setObjectName("attachments")
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMinimumHeight(THUMB + 40)
        self.list.setWordWrap(True)
        self.add_button = QPushButton(self)
        self.add_button.setObjectName("addAttachment")
        self.add_button.clicked.connect(self._choose)
        self.remove_button = QPushButton(self)
        self.remove_button.setObjectName("removeAttachment")
        self.remove_button.clicked.connect(self._remove_selected)
        self.setAcceptDrops(True)
        self.list.setAcceptDrops(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.relabel(ctx.pick, ctx.tr)

    def value(self) -> Any:
        return list(self._hashes) or None

    def set_value(self, value: Any) -> None:
        self._hashes = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        self._rebuild()

    def _rebuild(self) -> None:
        self.list.clear()
        for sha in self._hashes:
            name = self._ctx.attachment_names(sha) if self._ctx.attachment_names else sha[:12]
            item = QListWidgetItem(name or sha[:12])
            item.setData(Qt.ItemDataRole.UserRole, sha)
            item.setToolTip(f"SHA-256 {sha}")
            self.list.addItem(item)
            if self._ctx.thumbnail is not None:
                self._ctx.thumbnail(sha, partial(self._set_thumb, sha))

    def _set_thumb(self, sha: str, image: object) -> None:
        if not isinstance(image, QImage) or image.isNull():
            return
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == sha:
                item.setIcon(QIcon(QPixmap.fromImage(image)))

    def _choose(self) -> None:
        paths = dialogs.open_files(self, self._tr("attach.choose"))
        if paths:
            self.add_paths(paths)

    def add_paths(self, paths: list[Path]) -> None:
        if self._ctx.attach is None:
            return
        self.add_button.setEnabled(False)
        self._ctx.attach(paths, self._attached)

    def _attached(self, entries: list[dict[str, Any]]) -> None:
        self.add_button.setEnabled(True)
        added = False
        for entry in entries:
            sha = str(entry.get("sha256", ""))
            if sha and sha not in self._hashes:
                self._hashes.append(sha)
                added = True
        if added:
            self._rebuild()
            self.changed.emit()

    def _remove_selected(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        sha = item.data(Qt.ItemDataRole.UserRole)
        self._hashes = [h for h in self._hashes if h != sha]
        self._rebuild()
        self.changed.emit()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        paths = [p for p in paths if p.is_file()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    def relabel(self, pick: Pick, tr: Tr) -> None:
        super().relabel(pick, tr)
        self.add_button.setText(tr("attach.add"))
        self.remove_button.setText(tr("attach.remove"))
        self.add_button.setAccessibleName(tr("attach.add"))
        self.remove_button.setAccessibleName(tr("attach.remove"))
        self.list.setAccessibleName(tr("attach.list"))

    def set_accessible(self, name: str) -> None:
        self.list.setAccessibleName(name)
