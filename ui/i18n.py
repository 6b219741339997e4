"""Interface strings in English, Russian and Kazakh, switchable while the app runs.

The screen language (labels, buttons, messages) and the interview language (the questions
read to the person) are two separate settings: an interpreter may read the questions in
Kazakh while the monitor works in Russian. Catalogs live in resources/i18n/<lang>.json.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QLibraryInfo,
    QObject,
    QTranslator,
    Signal,
    SignalInstance,
)

from intake_app.paths import resources_dir

LANGUAGES: tuple[str, ...] = ("en", "ru", "kk")
# Each language named in itself, so a person who cannot read the current one finds theirs.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "ru": "Русский", "kk": "Қазақша"}
DEFAULT_LANGUAGE = "ru"


def catalog_dir() -> Path:
    return resources_dir() / "i18n"


def load_catalog(lang: str, folder: Path | None = None) -> dict[str, str]:
    path = (folder or catalog_dir()) / f"{lang}.json"
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ValueError(f"{path.name}: a catalog maps string keys to string texts")
    return data


def normalise_language(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


QT_TEXTS_NAME = "intakeQtTexts"


class _LanguageSignals(QObject):
    languageChanged = Signal(str)  # screen language
    interviewLanguageChanged = Signal(str)


class Translator:
    """The current screen and interview languages; widgets relabel on the change signals.

    Not itself a QObject: its `tr` (the app's catalogs, with format values) would shadow
    QObject.tr (Qt's .ts lookup) with another signature, so the signals live in a helper.
    """

    def __init__(
        self, language: str = DEFAULT_LANGUAGE, interview_language: str | None = None
    ) -> None:
        self._signals = _LanguageSignals()
        self._catalogs = {lang: load_catalog(lang) for lang in LANGUAGES}
        self._language = normalise_language(language)
        self._interview = normalise_language(interview_language or self._language)

    @property
    def languageChanged(self) -> SignalInstance:
        return self._signals.languageChanged

    @property
    def interviewLanguageChanged(self) -> SignalInstance:
        return self._signals.interviewLanguageChanged

    @property
    def language(self) -> str:
        return self._language

    @property
    def interview_language(self) -> str:
        return self._interview

    def set_language(self, lang: str) -> None:
        lang = normalise_language(lang)
        if lang != self._language:
            self._language = lang
            self.languageChanged.emit(lang)

    def set_interview_language(self, lang: str) -> None:
        lang = normalise_language(lang)
        if lang != self._interview:
            self._interview = lang
            self.interviewLanguageChanged.emit(lang)

    def tr(self, key: str, /, **values: object) -> str:
        """The text for `key` in the screen language (English, then the key, as fallback)."""
        text = self._catalogs[self._language].get(key) or self._catalogs["en"].get(key) or key
        return text.format(**values) if values else text

    def tr_in(self, lang: str, key: str, /, **values: object) -> str:
        """The text for `key` in `lang` (used for words inside the interview form)."""
        catalog = self._catalogs.get(lang, self._catalogs["en"])
        text = catalog.get(key) or self._catalogs["en"].get(key) or key
        return text.format(**values) if values else text

    def tr_interview(self, key: str, /, **values: object) -> str:
        return self.tr_in(self._interview, key, **values)

    def pick(self, labels: object, lang: str | None = None) -> str:
        """A protocol label {en, ru, kk} in the interview language, English as fallback."""
        if isinstance(labels, str):
            return labels
        if not isinstance(labels, Mapping):
            return ""
        lang = lang or self._interview
        text = labels.get(lang) or labels.get("en") or ""
        return str(text)

    def pick_screen(self, labels: object) -> str:
        """A protocol label in the screen language (for the monitor, e.g. red flags)."""
        return self.pick(labels, self._language)


def install_qt_texts(app: QCoreApplication, translator: Translator) -> QTranslator:
    """Qt's own words (file dialogs, message box buttons) in the screen language, following
    its changes: without this a Russian screen showed "Look in", "Open" and "Cancel".
    One Qt translator per application, reused by every later call (tests build many windows):
    an older one left installed would answer for words the newer language lacks."""
    qt = app.findChild(QTranslator, QT_TEXTS_NAME)
    if qt is None:
        qt = QTranslator(app)
        qt.setObjectName(QT_TEXTS_NAME)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)

    def load(lang: str) -> None:
        app.removeTranslator(qt)
        # English is Qt's own language: nothing to install.
        if lang != "en" and qt.load(f"qtbase_{lang}", folder):
            app.installTranslator(qt)

    translator.languageChanged.connect(load)
    load(translator.language)
    return qt
