"""The screens that show case data, created at unlock and destroyed at lock.

Nothing here outlives the open vault: `destroy()` clears every model and editor, removes the
screens from the window and deletes them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from intake_app.errors import NotFound
from ui import case_services
from ui.windows.case_list_screen import CaseListScreen
from ui.windows.case_view_screen import CaseViewScreen
from ui.windows.due_screen import DueScreen
from ui.windows.interview_screen import InterviewScreen
from ui.windows.transcription import TranscriptionMode

if TYPE_CHECKING:
    from ui.session import Session
    from ui.windows.main_window import MainWindow

log = logging.getLogger(__name__)


def _gazetteer() -> Any:
    try:
        from intake_app.places import Gazetteer

        return Gazetteer.load()
    except Exception as exc:  # noqa: BLE001 - places then stay free text
        log.warning("gazetteer unavailable: %s", type(exc).__name__)
        return None


class CaseScreens:
    def __init__(self, window: MainWindow, session: Session) -> None:
        self._window = window
        self._session = session
        t = window.t
        self.gazetteer = _gazetteer()
        cities: list[tuple[str, str]] = []
        if self.gazetteer is not None:
            cities = sorted(((p.id, self.gazetteer.name(p.id, t.language))
                             for p in self.gazetteer.cities()), key=lambda c: c[1])

        def fetch(query: Any, offset: int, limit: int) -> Any:
            return case_services.fetch_page(session, query, offset, limit)

        def city_name(city: str) -> str:
            if self.gazetteer is None:
                return city
            return str(self.gazetteer.name(city, t.language))

        self.case_list = CaseListScreen(t, fetch, window.runner,
                                        red_flag_rules=session.protocol.red_flag_rules,
                                        cities=cities, city_name=city_name, parent=window)
        self.interview = InterviewScreen(t, session, window.runner, self.gazetteer, window)
        self.case_view = CaseViewScreen(t, session, window)
        # Field work (helper-13): paper-form transcription on the interview screen, due tasks.
        self.transcription = TranscriptionMode(t, self.interview)
        self.due = DueScreen(t, session, parent=window)
        self.screens: list[QWidget] = [self.case_list, self.interview, self.case_view, self.due]
        for screen in self.screens:
            window.stack.addWidget(screen)
        self.case_list.openCase.connect(self.open_case)
        self.case_list.newCaseRequested.connect(self.new_case)
        self.case_list.historyRequested.connect(self.show_history)
        self.interview.closed.connect(self.show_list)
        self.case_view.closed.connect(self.show_list)
        self.case_view.editRequested.connect(self.open_case)
        # Dashboard (helper-11): built on first use. Dossier PDF from the case view.
        self.dashboard: Any = None
        self.case_view.dossierRequested.connect(self.export_dossier)
        self.due.closed.connect(self.show_list)
        self.due.openCase.connect(self.open_case)
        # Bundles, contacts, conflicts (helper-15): export/import dialogs, drop target.
        from ui.windows.bundle_screens import BundleScreens

        self.bundles = BundleScreens(window, session, self)
        self.case_view.resolveRequested.connect(self.bundles.resolve)

    def show_initial(self, resume: tuple[str, str | None] | None) -> None:
        if resume is not None:
            case_id, section_id = resume
            try:
                self._open(case_id, section_id)
                return
            except Exception as exc:  # noqa: BLE001 - a case gone since: fall back to the list
                log.info("cannot resume: %s", type(exc).__name__)
        self.show_list()

    def show_list(self) -> None:
        self.case_list.refresh()
        self._window.stack.setCurrentWidget(self.case_list)
        self.case_list.table.setFocus()

    def new_case(self) -> None:
        self._open(None, None)

    def open_case(self, case_id: str) -> None:
        self._open(case_id, None)

    def new_paper_case(self) -> None:
        """A new case typed in from a paper form (transcription mode)."""
        if self.interview.editing is not None:
            self.interview.commit()
            self.interview.clear()
        self.transcription.start_new()
        self._window.stack.setCurrentWidget(self.interview)

    def show_due(self) -> None:
        self.due.refresh()
        self._window.stack.setCurrentWidget(self.due)
        self.due.table.setFocus()

    def _open(self, case_id: str | None, section_id: str | None) -> None:
        self.transcription.stop()
        if self.interview.editing is not None:
            self.interview.commit()
            self.interview.clear()
        if case_id is not None and self._has_conflict(case_id):
            # Editing one head would bury the other: the case view shows the conflict and
            # offers to resolve it first, so no edit is ever dropped silently.
            self.show_history(case_id)
            return
        self.interview.open_case(case_id, section_id)
        self._window.stack.setCurrentWidget(self.interview)
        self.interview.sections.setFocus()

    def _has_conflict(self, case_id: str) -> bool:
        try:
            return bool(self._session.cases.get(case_id).conflict)
        except NotFound:
            return False  # a new case that so far lives only in its draft

    def show_history(self, case_id: str) -> None:
        self.case_view.show_case(case_id)
        self._window.stack.setCurrentWidget(self.case_view)

    def show_dashboard(self) -> None:
        if self.dashboard is None:
            from ui.windows.dashboard_screen import DashboardScreen

            window = self._window
            self.dashboard = DashboardScreen(window.t, self._session, window.runner,
                                             self.gazetteer, window)
            self.dashboard.closed.connect(self.show_list)
            self.screens.append(self.dashboard)
            window.stack.addWidget(self.dashboard)
        self.dashboard.refresh()  # new and imported cases since last time
        self._window.stack.setCurrentWidget(self.dashboard)
        self.dashboard.tabs.setFocus()

    def export_dossier(self, case_id: str) -> None:
        from ui.dossier_export import export_dossier

        export_dossier(self._window, self._window.t, self._session, self._window.runner,
                       case_id)

    def position(self) -> tuple[str, str | None] | None:
        if self._window.stack.currentWidget() is self.interview or \
                self._window._privacy_return is self.interview:
            return self.interview.position()
        return None

    def commit_open_case(self) -> None:
        self.interview.commit()

    def destroy(self) -> None:
        self.bundles.destroy()
        self.transcription.stop()
        self.due.clear()
        self.interview.clear()
        self.case_list.clear()
        self.case_view.clear()
        if self.dashboard is not None:
            self.dashboard.clear()
        for screen in self.screens:
            self._window.stack.removeWidget(screen)
            screen.setParent(None)
            screen.deleteLater()
        self.screens = []
