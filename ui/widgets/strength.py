"""A passphrase strength meter: a rough guessing estimate, shown as words and a bar."""

from __future__ import annotations

import math
import string

from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from ui.i18n import Translator

MIN_LENGTH = 12
# Roughly 2^72 guesses against Argon2id is out of reach of a well-funded adversary.
STRONG_BITS = 72
FAIR_BITS = 50


def estimate_bits(passphrase: str) -> float:
    """An upper-bound-ish entropy estimate: pool size per character class, repeats discounted.

    Words are counted separately: a passphrase of several space-separated words earns about
    11 bits per word (a 2,048-word list), which is the honest figure for diceware-like phrases.
    """
    if not passphrase:
        return 0.0
    pool = 0
    if any(c in string.ascii_lowercase for c in passphrase):
        pool += 26
    if any(c in string.ascii_uppercase for c in passphrase):
        pool += 26
    if any(c in string.digits for c in passphrase):
        pool += 10
    if any(c in string.punctuation or c == " " for c in passphrase):
        pool += 33
    if any(ord(c) > 127 for c in passphrase):
        pool += 66  # Cyrillic incl. Kazakh letters, both cases
    distinct = len(set(passphrase))
    # A string of one repeated character is not long in any useful sense.
    effective = min(len(passphrase), distinct * 2)
    per_char = effective * math.log2(max(pool, 2))
    words = [w for w in passphrase.split() if len(w) >= 3]
    per_word = len(words) * 11.0 if len(words) >= 4 else 0.0
    return max(per_char, per_word) if per_word else per_char


class StrengthMeter(QWidget):
    def __init__(self, translator: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._t = translator
        self._bar = QProgressBar(self)
        self._bar.setRange(0, STRONG_BITS)
        self._bar.setTextVisible(False)
        self._bar.setAccessibleName(translator.tr("create.strength"))
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._bar)
        layout.addWidget(self._label)
        self._bits = 0.0
        self._length = 0
        translator.languageChanged.connect(self._relabel)
        self._relabel()

    def update_for(self, passphrase: str) -> None:
        self._bits = estimate_bits(passphrase)
        self._length = len(passphrase)
        self._bar.setValue(int(min(self._bits, STRONG_BITS)))
        self._relabel()

    @property
    def verdict(self) -> str:
        if self._length == 0:
            return "empty"
        if self._length < MIN_LENGTH:
            return "short"
        if self._bits >= STRONG_BITS:
            return "strong"
        if self._bits >= FAIR_BITS:
            return "fair"
        return "weak"

    def _relabel(self) -> None:
        self._bar.setAccessibleName(self._t.tr("create.strength"))
        self._bar.setProperty("verdict", self.verdict)
        self._bar.style().unpolish(self._bar)
        self._bar.style().polish(self._bar)
        key = f"strength.{self.verdict}"
        self._label.setText(self._t.tr(key, n=MIN_LENGTH))
