"""The few preferences kept on disk by Qt: never case data.

Only these keys exist: screen language, interview language, idle-lock minutes, the last
vault folder and the window geometry. Anything else is refused, so no screen can slip a
pseudonym or a search term into the settings file by accident.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from ui.i18n import DEFAULT_LANGUAGE, normalise_language

ALLOWED_KEYS = frozenset(
    {"ui/language", "interview/language", "lock/idle_minutes", "vault/last_folder",
     "window/geometry"}
)
DEFAULT_IDLE_MINUTES = 5
MIN_IDLE_MINUTES = 1
MAX_IDLE_MINUTES = 120


class AppSettings:
    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            self._qs = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                                 "field-intake", "field-intake")
        else:
            self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    @property
    def file_path(self) -> Path:
        return Path(self._qs.fileName())

    def _set(self, key: str, value: object) -> None:
        if key not in ALLOWED_KEYS:
            raise KeyError(f"not a permitted setting: {key}")
        self._qs.setValue(key, value)
        self._qs.sync()

    @property
    def language(self) -> str:
        return normalise_language(str(self._qs.value("ui/language", DEFAULT_LANGUAGE)))

    @language.setter
    def language(self, lang: str) -> None:
        self._set("ui/language", normalise_language(lang))

    @property
    def interview_language(self) -> str:
        return normalise_language(str(self._qs.value("interview/language", self.language)))

    @interview_language.setter
    def interview_language(self, lang: str) -> None:
        self._set("interview/language", normalise_language(lang))

    @property
    def idle_minutes(self) -> int:
        try:
            value = int(str(self._qs.value("lock/idle_minutes", DEFAULT_IDLE_MINUTES)))
        except ValueError:
            return DEFAULT_IDLE_MINUTES
        return min(max(value, MIN_IDLE_MINUTES), MAX_IDLE_MINUTES)

    @idle_minutes.setter
    def idle_minutes(self, minutes: int) -> None:
        self._set("lock/idle_minutes", min(max(int(minutes), MIN_IDLE_MINUTES), MAX_IDLE_MINUTES))

    @property
    def last_vault_folder(self) -> Path | None:
        value = self._qs.value("vault/last_folder")
        return Path(str(value)) if value else None

    @last_vault_folder.setter
    def last_vault_folder(self, folder: Path | None) -> None:
        self._set("vault/last_folder", str(folder) if folder else "")

    @property
    def geometry(self) -> QByteArray | None:
        value = self._qs.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    @geometry.setter
    def geometry(self, data: QByteArray) -> None:
        self._set("window/geometry", data)
