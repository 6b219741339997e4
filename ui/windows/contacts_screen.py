"""Contacts: this device's identity card, the trust registry, adding a card, revoking a key.

Trust starts in person: a card file is only added after its fingerprint, shown large in
groups of four, has been compared with its owner and the person ticks "I compared it in
person". Revoking records the last sequence number the owner confirms and, optionally, the
hashes of the bundles they really sent; the confirmation says what will then be refused.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from intake_app.errors import IntakeError
from intake_app.fsutil import atomic_write
from intake_app.identity.card import IdentityCard, card_of
from intake_app.identity.keys import display_fingerprint
from intake_app.identity.trust import Contact, TrustRegistry
from ui import bundle_services as services
from ui import dialogs
from ui.i18n import Translator
from ui.session import Session
from ui.widgets.fingerprint import (
    CardReview,
    FingerprintLabel,
    category_text,
    role_text,
    safe_text,
)
from ui.windows.vault_screen import wrapping_label

CARD_FILE_NAME = "identity-card.json"  # generic: a file name must not name the person
FINGERPRINT_ROLE = Qt.ItemDataRole.UserRole
REVOKED_COLOUR = QColor("#7a8589")
COLUMNS = ("contacts.name", "contacts.role", "contacts.category", "contacts.fingerprint",
           "contacts.status", "contacts.added")


class ContactsScreen(QWidget):
    closed = Signal()
    changed = Signal()

    def __init__(self, translator: Translator, session: Session,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactsScreen")
        self._t = translator
        self._session = session
        self._registry = TrustRegistry(session.vault)
        self._contacts: list[Contact] = []
        self._pending: IdentityCard | None = None
        self._revoke_hashes: list[str] | None = None
        self._build()
        translator.languageChanged.connect(self.retranslate)
        self.retranslate()
        self.refresh()

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        self._title = wrapping_label(self, "screenTitle")
        self.back_button = QPushButton(self)
        self.back_button.setObjectName("closeContacts")
        self.back_button.clicked.connect(self.closed)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self._title, 1)

        self.me_box = QGroupBox(self)
        self.my_name = QLabel(self.me_box)
        self.my_name.setTextFormat(Qt.TextFormat.PlainText)
        self.my_role = QLabel(self.me_box)
        self.my_category = QLabel(self.me_box)
        self.my_fingerprint = FingerprintLabel(self.me_box, point_size=20)
        self.my_fingerprint.setObjectName("myFingerprint")
        self.save_card_button = QPushButton(self.me_box)
        self.save_card_button.setObjectName("saveMyCard")
        self.save_card_button.clicked.connect(self.save_my_card)
        self._me_captions = [QLabel(self.me_box) for _ in range(4)]
        form = QFormLayout()
        for caption, field in zip(self._me_captions, (self.my_name, self.my_role,
                                  self.my_category, self.my_fingerprint), strict=True):
            caption.setBuddy(field)
            form.addRow(caption, field)
        box = QVBoxLayout(self.me_box)
        box.addLayout(form)
        box.addWidget(self.save_card_button, 0, Qt.AlignmentFlag.AlignLeft)

        self.registry_box = QGroupBox(self)
        self.table = QTableWidget(0, len(COLUMNS), self.registry_box)
        self.table.setObjectName("trustRegistry")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update)
        self.add_button = QPushButton(self.registry_box)
        self.add_button.setObjectName("addCard")
        self.add_button.clicked.connect(self.choose_card)
        self.revoke_button = QPushButton(self.registry_box)
        self.revoke_button.setObjectName("revokeContact")
        self.revoke_button.clicked.connect(self.open_revoke)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.revoke_button)
        buttons.addStretch(1)
        box = QVBoxLayout(self.registry_box)
        box.addWidget(self.table, 1)
        box.addLayout(buttons)

        self._build_add_panel()
        self._build_revoke_panel()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.me_box)
        layout.addWidget(self.registry_box, 1)
        layout.addWidget(self.add_box)
        layout.addWidget(self.revoke_box)

    def _build_add_panel(self) -> None:
        self.add_box = QGroupBox(self)
        self.add_box.setObjectName("addPanel")
        self.review = CardReview(self._t, self.add_box)
        self.review.confirmedChanged.connect(lambda _c: self._update())
        self.local_name = QLineEdit(self.add_box)
        self.local_name.setObjectName("contactLocalName")
        self.local_name.setMaxLength(200)
        self._local_name_caption = QLabel(self.add_box)
        self._local_name_caption.setBuddy(self.local_name)
        self.confirm_add_button = QPushButton(self.add_box)
        self.confirm_add_button.setObjectName("confirmAdd")
        self.confirm_add_button.clicked.connect(self.confirm_add)
        self.cancel_add_button = QPushButton(self.add_box)
        self.cancel_add_button.clicked.connect(self._close_add)
        row = QHBoxLayout()
        row.addWidget(self._local_name_caption)
        row.addWidget(self.local_name, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.confirm_add_button)
        buttons.addWidget(self.cancel_add_button)
        box = QVBoxLayout(self.add_box)
        box.addWidget(self.review)
        box.addLayout(row)
        box.addLayout(buttons)
        self.add_box.hide()

    def _build_revoke_panel(self) -> None:
        self.revoke_box = QGroupBox(self)
        self.revoke_box.setObjectName("revokePanel")
        self.revoke_who = wrapping_label(self.revoke_box)
        self.revoke_explain = wrapping_label(self.revoke_box, "note")
        self.last_seq = QLineEdit(self.revoke_box)
        self.last_seq.setObjectName("revokeLastSeq")
        self.last_seq.setValidator(QRegularExpressionValidator(r"[0-9]{0,19}", self.last_seq))
        self.last_seq.textChanged.connect(lambda _t: self._update())
        self._last_seq_caption = QLabel(self.revoke_box)
        self._last_seq_caption.setBuddy(self.last_seq)
        self.hashes_label = wrapping_label(self.revoke_box)
        self.load_hashes_button = QPushButton(self.revoke_box)
        self.load_hashes_button.setObjectName("loadBundleHashes")
        self.load_hashes_button.clicked.connect(self.load_hashes)
        self.clear_hashes_button = QPushButton(self.revoke_box)
        self.clear_hashes_button.clicked.connect(lambda: self._set_hashes(None))
        self.confirm_revoke_button = QPushButton(self.revoke_box)
        self.confirm_revoke_button.setObjectName("confirmRevoke")
        self.confirm_revoke_button.clicked.connect(self.confirm_revoke)
        self.cancel_revoke_button = QPushButton(self.revoke_box)
        self.cancel_revoke_button.clicked.connect(self._close_revoke)
        form = QFormLayout()
        form.addRow(self._last_seq_caption, self.last_seq)
        hashes = QHBoxLayout()
        hashes.addWidget(self.hashes_label, 1)
        hashes.addWidget(self.load_hashes_button)
        hashes.addWidget(self.clear_hashes_button)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.confirm_revoke_button)
        buttons.addWidget(self.cancel_revoke_button)
        box = QVBoxLayout(self.revoke_box)
        box.addWidget(self.revoke_who)
        box.addWidget(self.revoke_explain)
        box.addLayout(form)
        box.addLayout(hashes)
        box.addLayout(buttons)
        self.revoke_box.hide()

    # -- filling ----------------------------------------------------------------------------
    def refresh(self) -> None:
        identity = self._session.vault.identity
        t = self._t
        self.my_name.setText(safe_text(identity.name))
        self.my_role.setText(role_text(t, identity.role))
        self.my_category.setText(category_text(t, identity.category))
        self.my_fingerprint.set_fingerprint(identity.fingerprint)
        self._contacts = self._registry.contacts()
        self.table.setRowCount(len(self._contacts))
        for row, contact in enumerate(self._contacts):
            self._fill_row(row, contact)
        self._update()

    def _fill_row(self, row: int, contact: Contact) -> None:
        t = self._t
        if contact.revoked:
            status = t.tr("contacts.revoked_on", date=str(contact.revoked_at)[:10])
            if contact.last_seq is not None:
                status += " · " + t.tr("contacts.last_seq_short", n=contact.last_seq)
        else:
            status = t.tr("contacts.trusted")
        texts = (safe_text(contact.name), role_text(t, contact.role),
                 category_text(t, contact.category), display_fingerprint(contact.fingerprint),
                 status, contact.added_at[:10])  # fmt: skip
        for column, text in enumerate(texts):
            item = QTableWidgetItem(text)
            item.setData(FINGERPRINT_ROLE, contact.fingerprint)
            if contact.revoked:
                item.setForeground(REVOKED_COLOUR)
            self.table.setItem(row, column, item)

    def selected_contact(self) -> Contact | None:
        row = self.table.currentRow()
        if not self.table.selectedItems() or not 0 <= row < len(self._contacts):
            return None
        return self._contacts[row]

    def select_fingerprint(self, fingerprint: str) -> None:
        for row, contact in enumerate(self._contacts):
            if contact.fingerprint == fingerprint:
                self.table.selectRow(row)

    def _update(self) -> None:
        contact = self.selected_contact()
        self.revoke_button.setEnabled(contact is not None and not contact.revoked)
        self.confirm_add_button.setEnabled(self._pending is not None and self.review.confirmed)
        # Bundle hashes only narrow down what is accepted below N: they need N
        self.load_hashes_button.setEnabled(bool(self.last_seq.text()))
        if not self.last_seq.text() and self._revoke_hashes is not None:
            self._set_hashes(None)
        # One's own card steps aside while another card is reviewed or a contact revoked: the
        # panel and the contact list then fit a 1366x768 laptop, and only one fingerprint is
        # on screen to be compared.
        self.me_box.setVisible(self.add_box.isHidden() and self.revoke_box.isHidden())

    # -- my card ----------------------------------------------------------------------------
    def save_my_card(self) -> None:
        t = self._t
        chosen = dialogs.save_file(self, t.tr("contacts.save_card_title"), CARD_FILE_NAME,
                                   services.removable_places())  # fmt: skip
        if chosen is None:
            return
        try:
            atomic_write(chosen, card_of(self._session.vault.identity).to_bytes(), 0o600)
        except IntakeError as exc:
            dialogs.error(self, t.tr("contacts.save_card_title"), exc.message)
            return
        dialogs.info(self, t.tr("contacts.save_card_title"),
                     t.tr("contacts.card_saved", file=chosen.name))

    # -- adding -----------------------------------------------------------------------------
    def choose_card(self) -> None:
        t = self._t
        paths = dialogs.open_files(self, t.tr("contacts.add_title"), t.tr("contacts.card_filter"),
                                   services.removable_places())  # fmt: skip
        if paths:
            self.review_card(paths[0])

    def review_card(self, path: Path) -> None:
        """Check the card file and show it for comparison; nothing is stored yet."""
        t = self._t
        try:
            card = services.read_card_file(path)
        except IntakeError as exc:
            dialogs.error(self, t.tr("contacts.card_title"), exc.message)
            return
        self._close_revoke()
        self._pending = card
        self.review.show_card(card.name, card.role, card.category, card.fingerprint)
        self.local_name.setText(card.name)
        self.me_box.hide()  # first: the window must not grow past the screen
        self.add_box.show()
        self.review.compared.setFocus()
        self._update()

    def confirm_add(self) -> None:
        card = self._pending
        if card is None or not self.review.confirmed:
            return
        t = self._t
        name = self.local_name.text().strip() or card.name
        try:
            contact, added = self._registry.add(card, name)
        except IntakeError as exc:
            dialogs.error(self, t.tr("contacts.add_title"), exc.message)
            return
        self._close_add()
        self.refresh()
        self.select_fingerprint(contact.fingerprint)
        if not added:
            dialogs.info(self, t.tr("contacts.add_title"),
                         t.tr("contacts.already", name=safe_text(contact.name)))
        self.changed.emit()

    def _close_add(self) -> None:
        self._pending = None
        self.review.clear()
        self.local_name.clear()
        self.add_box.hide()
        self._update()

    # -- revoking ---------------------------------------------------------------------------
    def open_revoke(self) -> None:
        contact = self.selected_contact()
        if contact is None or contact.revoked:
            return
        self._close_add()
        t = self._t
        self.revoke_who.setText(t.tr("contacts.revoke_who", name=safe_text(contact.name),
                                     fingerprint=display_fingerprint(contact.fingerprint)))
        self.last_seq.clear()
        self._set_hashes(None)
        self.me_box.hide()  # first: the window must not grow past the screen
        self.revoke_box.show()
        self.last_seq.setFocus()
        self._update()

    def load_hashes(self) -> None:
        t = self._t
        paths = dialogs.open_files(self, t.tr("contacts.hashes_title"), "",
                                   services.removable_places())  # fmt: skip
        if not paths:
            return
        try:
            self._set_hashes(services.read_bundle_hashes(paths[0]))
        except IntakeError as exc:
            dialogs.error(self, t.tr("contacts.hashes_title"), exc.message)

    def _set_hashes(self, hashes: list[str] | None) -> None:
        self._revoke_hashes = hashes
        t = self._t
        self.hashes_label.setText(t.tr("contacts.hashes_none") if hashes is None
                                  else t.tr("contacts.hashes_loaded", n=len(hashes)))
        self.clear_hashes_button.setEnabled(hashes is not None)

    def revoke_consequences(self, contact: Contact, last_seq: int | None,
                            hashes: list[str] | None) -> str:  # fmt: skip
        """What revoking will do, in words, for the confirmation."""
        t = self._t
        name = safe_text(contact.name)
        if last_seq is None:
            text = t.tr("contacts.revoke_all", name=name)
        elif hashes is None:
            text = t.tr("contacts.revoke_upto", name=name, n=last_seq)
        else:
            text = t.tr("contacts.revoke_listed", name=name, n=last_seq, k=len(hashes))
        return text + "\n\n" + t.tr("contacts.revoke_final")

    def confirm_revoke(self) -> None:
        contact = self.selected_contact()
        if contact is None or contact.revoked:
            return
        t = self._t
        last_seq = int(self.last_seq.text()) if self.last_seq.text() else None
        hashes = self._revoke_hashes if last_seq is not None else None
        if not dialogs.ask(self, t.tr("contacts.revoke_title"),
                           self.revoke_consequences(contact, last_seq, hashes),
                           t.tr("contacts.revoke_yes"), t.tr("common.cancel")):  # fmt: skip
            return
        try:
            self._registry.revoke(contact.fingerprint, last_seq, hashes)
        except IntakeError as exc:
            dialogs.error(self, t.tr("contacts.revoke_title"), exc.message)
            return
        self._close_revoke()
        self.refresh()
        self.select_fingerprint(contact.fingerprint)
        self.changed.emit()

    def _close_revoke(self) -> None:
        self.revoke_box.hide()
        self.last_seq.clear()
        self._set_hashes(None)
        self._update()

    def clear(self) -> None:
        self._close_add()
        self._close_revoke()
        self.table.setRowCount(0)
        self._contacts = []
        for label in (self.my_name, self.my_role, self.my_category):
            label.clear()
        self.my_fingerprint.set_fingerprint("")

    def retranslate(self) -> None:
        t = self._t
        self._title.setText(t.tr("contacts.title"))
        self.back_button.setText(t.tr("interview.back"))
        self.me_box.setTitle(t.tr("contacts.my_card"))
        for caption, key in zip(self._me_captions, ("contacts.name", "contacts.role",
                                "contacts.category", "contacts.fingerprint"), strict=True):
            caption.setText(t.tr(key))
        self.my_fingerprint.setAccessibleName(t.tr("contacts.my_fingerprint"))
        self.save_card_button.setText(t.tr("contacts.save_card"))
        self.registry_box.setTitle(t.tr("contacts.registry"))
        self.table.setHorizontalHeaderLabels([t.tr(k) for k in COLUMNS])
        self.table.setAccessibleName(t.tr("contacts.registry"))
        self.add_button.setText(t.tr("contacts.add"))
        self.revoke_button.setText(t.tr("contacts.revoke"))
        self.add_box.setTitle(t.tr("contacts.add_title"))
        self._local_name_caption.setText(t.tr("contacts.local_name"))
        self.local_name.setAccessibleName(t.tr("contacts.local_name"))
        self.confirm_add_button.setText(t.tr("contacts.confirm_add"))
        self.cancel_add_button.setText(t.tr("common.cancel"))
        self.revoke_box.setTitle(t.tr("contacts.revoke_title"))
        self.revoke_explain.setText(t.tr("contacts.revoke_explain"))
        self._last_seq_caption.setText(t.tr("contacts.last_seq"))
        self.last_seq.setAccessibleName(t.tr("contacts.last_seq"))
        self.last_seq.setPlaceholderText(t.tr("contacts.last_seq_unknown"))
        self.load_hashes_button.setText(t.tr("contacts.load_hashes"))
        self.clear_hashes_button.setText(t.tr("contacts.clear_hashes"))
        self.confirm_revoke_button.setText(t.tr("contacts.revoke_confirm"))
        self.cancel_revoke_button.setText(t.tr("common.cancel"))
        self._set_hashes(self._revoke_hashes)
        if self._contacts:
            self.refresh()
