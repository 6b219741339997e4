"""The coordinator's dashboard: counts and charts over the vault's cases.

Statistics are computed by the core (`intake_app.reports.stats`) on a worker thread; the
screen shows exact counts. Each chart can be exported as PNG through the dialogs module (Qt's
own file dialog); exported charts suppress cells below 5 unless "exact counts" is ticked.
Everything shown is de-identified by construction (no names, no free text but places).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from intake_app.errors import IntakeError
from intake_app.fsutil import atomic_write
from intake_app.reports.stats import THEMES, StatsFilter, compute_stats
from ui import dashboard_tables, dialogs
from ui.i18n import Translator
from ui.session import Session
from ui.widgets.chart_panel import ChartPanel, render_png
from ui.windows.vault_screen import wrapping_label
from ui.workers import TaskRunner

log = logging.getLogger(__name__)

PANEL_KEYS = ("cities", "people", "failures", "red_flags", "status")


class DashboardScreen(QWidget):
    closed = Signal()
    statsShown = Signal()  # a computation finished and the panels show it (tests wait on it)

    def __init__(self, translator: Translator, session: Session, runner: TaskRunner,
                 gazetteer: Any, parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("dashboardScreen")
        self._t = translator
        self._session = session
        self._runner = runner
        self._gazetteer = gazetteer
        self._generation = 0
        self.stats: dict[str, Any] | None = None
        self._cities: list[str] = [""] + [p.id for p in (gazetteer.cities() if gazetteer else [])]

        self._title = wrapping_label(self, "screenTitle")
        self.back_button = QPushButton(self)
        self.back_button.setObjectName("dashboardBack")
        self.back_button.clicked.connect(self.closed)
        self.date_from = QLineEdit(self)
        self.date_from.setObjectName("dashboardFrom")
        self.date_to = QLineEdit(self)
        self.date_to.setObjectName("dashboardTo")
        self.city = QComboBox(self)
        self.city.setObjectName("dashboardCity")
        self.theme = QComboBox(self)
        self.theme.setObjectName("dashboardTheme")
        for box in (self.city, self.theme):
            # Sized to a few words, not to the longest name: the window must fit a laptop.
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(18)
        self.apply_button = QPushButton(self)
        self.apply_button.setObjectName("dashboardApply")
        self.apply_button.clicked.connect(self.refresh)
        for edit in (self.date_from, self.date_to):
            edit.setMaxLength(10)
            edit.returnPressed.connect(self.refresh)
        self.city.currentIndexChanged.connect(lambda _i: self.refresh())
        self.theme.currentIndexChanged.connect(lambda _i: self.refresh())
        self._from_label, self._to_label = QLabel(self), QLabel(self)
        self._from_label.setBuddy(self.date_from)
        self._to_label.setBuddy(self.date_to)

        self.problem = wrapping_label(self, "problem")
        self.problem.hide()
        self.summary = wrapping_label(self, "sectionTitle")
        self.busy = QProgressBar(self)
        self.busy.setMaximumHeight(6)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("dashboardTabs")
        self.panels: dict[str, ChartPanel] = {}
        for key in PANEL_KEYS:
            panel = ChartPanel(self.tabs)
            panel.setObjectName(f"panel_{key}")
            self.panels[key] = panel
            self.tabs.addTab(panel, "")
        self.exact_export = QCheckBox(self)
        self.exact_export.setObjectName("dashboardExactExport")
        self.export_button = QPushButton(self)
        self.export_button.setObjectName("dashboardExport")
        self.export_button.clicked.connect(self.export_current)
        self.export_status = wrapping_label(self, "status")
        self._layout_widgets()
        translator.languageChanged.connect(self.retranslate)
        self.retranslate()

    def _layout_widgets(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self._title, 1)
        filters = QHBoxLayout()
        for widget in (self._from_label, self.date_from, self._to_label, self.date_to,
                       self.city, self.theme, self.apply_button):  # fmt: skip
            filters.addWidget(widget)
        filters.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.export_status, 1)
        bottom.addWidget(self.exact_export)
        bottom.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.problem)
        layout.addWidget(self.summary)
        layout.addWidget(self.busy)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)

    # -- computing ---------------------------------------------------------------------------
    def filters(self) -> StatsFilter:
        theme_index = self.theme.currentIndex()
        return StatsFilter(
            date_from=self.date_from.text().strip() or None,
            date_to=self.date_to.text().strip() or None,
            city=self._cities[max(self.city.currentIndex(), 0)] or None,
            theme=THEMES[theme_index - 1] if theme_index > 0 else None,
        )

    def refresh(self) -> None:
        """Recompute on a worker; a newer request supersedes one still running."""
        self._generation += 1
        generation = self._generation
        filters = self.filters()
        vault = self._session.vault
        rules = [r.id for r in self._session.protocol.red_flag_rules]
        gazetteer = self._gazetteer

        def work(progress: Any, cancel: Any) -> dict[str, Any]:
            # This worker's own read-only connection (the GUI thread's is for it alone).
            with vault.reading() as conn:
                return compute_stats(conn, filters, rules=rules, gazetteer=gazetteer,
                                     progress=progress, cancel=cancel)  # fmt: skip

        def done(stats: dict[str, Any]) -> None:
            if generation == self._generation:
                self.busy.hide()
                self.problem.clear()
                self.problem.hide()
                self.stats = stats
                self._fill()
                self.statsShown.emit()

        def failed(exc: BaseException) -> None:
            if generation != self._generation:
                return
            self.busy.hide()
            if isinstance(exc, IntakeError):
                self.problem.setText(exc.message)
            else:
                log.error("statistics failed: %s", type(exc).__name__)
                self.problem.setText(self._t.tr("error.unexpected"))
            self.problem.show()
            self.statsShown.emit()

        self.busy.setRange(0, 0)
        self.busy.show()
        self._runner.start(work, on_success=done, on_failure=failed)

    def _place(self, key: str) -> str:
        if self._gazetteer is None:
            return key
        return str(self._gazetteer.name(key, self._t.language))

    def _fill(self) -> None:
        if self.stats is None:
            return
        t = self._t
        self.summary.setText(dashboard_tables.summary(t, self.stats))
        for data in dashboard_tables.panels(t, self.stats, self._session.protocol, self._place):
            self.panels[data.key].show_data(data)
            self.tabs.setTabText(PANEL_KEYS.index(data.key), t.tr(f"dash.tab.{data.key}"))

    # -- export ------------------------------------------------------------------------------
    def export_current(self) -> None:
        panel = self.tabs.currentWidget()
        data = panel.data if isinstance(panel, ChartPanel) else None
        if data is None:
            return
        t = self._t
        path = dialogs.save_file(self, t.tr("dash.export_title"), f"{data.key}.png")
        if path is None:
            return
        if path.suffix.lower() != ".png":
            path = path.with_name(path.name + ".png")
        exact = self.exact_export.isChecked()
        shown = self.filters()
        city = self._place(shown.city) if shown.city else None
        context = dashboard_tables.filters_text(t, shown.date_from, shown.date_to, city,
                                                shown.theme)  # fmt: skip
        png = render_png(data, exact=exact, suppressed_note=t.tr("dash.export_suppressed"),
                         exact_note=t.tr("dash.export_exact"), context=context)  # fmt: skip
        try:
            atomic_write(path, png)
        except IntakeError as exc:
            dialogs.error(self, t.tr("dash.export_title"), exc.message)
            return
        except OSError as exc:
            dialogs.error(self, t.tr("dash.export_title"),
                          t.tr("dash.export_failed", detail=exc.strerror or ""))  # fmt: skip
            return
        self.export_status.setText(t.tr("dash.exported", name=path.name))

    # -- language and locking ----------------------------------------------------------------
    def retranslate(self) -> None:
        t = self._t
        self._title.setText(t.tr("dash.title"))
        self.back_button.setText(t.tr("dash.back"))
        self._from_label.setText(t.tr("dash.from"))
        self._to_label.setText(t.tr("dash.to"))
        for edit in (self.date_from, self.date_to):
            edit.setPlaceholderText(t.tr("dash.date_hint"))
        self.date_from.setAccessibleName(t.tr("dash.from"))
        self.date_to.setAccessibleName(t.tr("dash.to"))
        for box, items, name in (
            (self.city, [t.tr("list.filter.any_city")] + [self._place(c) for c in self._cities[1:]],
             t.tr("dash.city")),
            (self.theme, [t.tr("dash.any_theme")] + [t.tr(f"dash.theme.{k}") for k in THEMES],
             t.tr("dash.theme")),
        ):  # fmt: skip
            index = box.currentIndex()
            box.blockSignals(True)
            box.clear()
            box.addItems(items)
            box.setCurrentIndex(max(index, 0))
            box.blockSignals(False)
            box.setAccessibleName(name)
        self.apply_button.setText(t.tr("dash.apply"))
        self.exact_export.setText(t.tr("dash.exact_export"))
        self.export_button.setText(t.tr("dash.export"))
        for number, key in enumerate(PANEL_KEYS):
            self.tabs.setTabText(number, t.tr(f"dash.tab.{key}"))
        self._fill()

    def clear(self) -> None:
        """Forget every figure (at lock): nothing read from the vault stays on screen."""
        self._generation += 1
        self.stats = None
        self.summary.clear()
        self.problem.clear()
        self.problem.hide()
        self.export_status.clear()
        for panel in self.panels.values():
            panel.clear()
