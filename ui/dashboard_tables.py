"""The dashboard's panels from a `stats` result: what each chart and table shows, with every
label in the screen language (option labels from the protocol, place names from the
gazetteer, the rest from the i18n catalog). No widgets here, so it is cheap to test."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from intake_app.reports.stats import THEMES
from intake_app.reports.text_safety import visible
from ui.i18n import Translator
from ui.widgets.chart_panel import PanelData, Series

FAILURES = ("fme_not_conducted", "fppe_not_conducted", "lawyer_not_identified",
            "minors_without_representative", "kui_only", "isd_referrals")  # fmt: skip
STATUS_ORDER = ("not_filed", "pending", "terminated", "in_court", "verdict", "unknown")

PlaceName = Callable[[str], str]


def _sex_label(t: Translator, protocol: Any, key: str) -> str:
    question = protocol.question("victim.sex") if protocol is not None else None
    option = question.option(key) if question is not None else None
    if option is not None:
        return t.pick_screen(option.label)
    return t.tr("answer.declined") if key == "declined" else t.tr("dash.not_recorded")


def summary(t: Translator, stats: Mapping[str, Any]) -> str:
    sexes = stats["by_sex"]
    return t.tr("dash.summary", cases=stats["cases"], men=sexes.get("male", 0),
                women=sexes.get("female", 0), minors=stats["minors"],
                foreigners=stats["foreigners"], terminated=stats["terminated"])  # fmt: skip


def cities(t: Translator, stats: Mapping[str, Any], place: PlaceName) -> PanelData:
    rows = sorted(stats["by_city"].items(), key=lambda kv: (-kv[1]["cases"], place(kv[0])))
    names = [visible(place(key), single_line=True) for key, _ in rows]
    cases = [entry["cases"] for _, entry in rows]
    ended = [entry["terminated"] for _, entry in rows]
    if stats["city_unknown"]:
        names.append(t.tr("dash.unknown_place"))
        cases.append(stats["city_unknown"])
        ended.append(stats["terminated_city_unknown"])
    return PanelData(
        key="cities", title=t.tr("dash.cities.title"), category_header=t.tr("dash.city"),
        categories=tuple(names),
        series=(Series(t.tr("dash.cases"), tuple(cases), stats["cases"]),
                Series(t.tr("dash.terminated"), tuple(ended), stats["terminated"])),
        horizontal=True,
    )  # fmt: skip


def people(t: Translator, stats: Mapping[str, Any], protocol: Any) -> PanelData:
    sexes = [(k, n) for k, n in stats["by_sex"].items() if n or k in ("male", "female")]
    order = {"male": 0, "female": 1, "other": 2, "unknown": 3}
    sexes.sort(key=lambda kv: (order.get(kv[0], 9), kv[0]))
    names = [_sex_label(t, protocol, k) for k, _ in sexes]
    values = [n for _, n in sexes]
    names += [t.tr("dash.minors"), t.tr("dash.foreigners")]
    values += [stats["minors"], stats["foreigners"]]
    return PanelData(
        key="people", title=t.tr("dash.people.title"), category_header=t.tr("dash.group"),
        categories=tuple(names),
        series=(Series(t.tr("dash.cases"), tuple(values), stats["cases"], len(sexes)),),
        note=t.tr("dash.people.note"),
    )  # fmt: skip


def _month(t: Translator, key: str) -> str:
    return t.tr("dash.undated") if key == "unknown" else key


def failures(t: Translator, stats: Mapping[str, Any]) -> PanelData:
    months = sorted(stats["by_period"], key=lambda k: (k == "unknown", k))
    return PanelData(
        key="failures", title=t.tr("dash.failures.title"), category_header=t.tr("dash.month"),
        categories=tuple(_month(t, m) for m in months),
        series=tuple(
            Series(t.tr(f"dash.ms.{measure}"),
                   tuple(stats["by_period"][m][measure] for m in months), stats[measure],
                   tooltip=t.tr(f"dash.m.{measure}"))
            for measure in FAILURES
        ),
        note=t.tr("dash.failures.note"),
    )  # fmt: skip


def red_flags(t: Translator, stats: Mapping[str, Any], protocol: Any) -> PanelData:
    labels = {r.id: t.pick_screen(r.label) for r in getattr(protocol, "red_flag_rules", ())}
    rows = sorted(stats["red_flags"].items(), key=lambda kv: (-kv[1], kv[0]))
    return PanelData(
        key="red_flags", title=t.tr("dash.red_flags.title"), category_header=t.tr("dash.flag"),
        categories=tuple(labels.get(k, k) for k, _ in rows),
        series=(Series(t.tr("dash.cases"), tuple(n for _, n in rows)),),
        horizontal=True,
    )  # fmt: skip


def status(t: Translator, stats: Mapping[str, Any]) -> PanelData:
    known = [s for s in STATUS_ORDER if s in stats["by_status"]]
    other = sorted(k for k in stats["by_status"] if k not in STATUS_ORDER)
    keys = known + other
    names = [t.tr(f"status.{k}") if k in STATUS_ORDER else t.tr("dash.not_recorded")
             if k == "not_recorded" else k for k in keys]  # fmt: skip
    themes = [k for k in THEMES if k in stats["themes"]]
    return PanelData(
        key="status", title=t.tr("dash.status.title"), category_header=t.tr("dash.group"),
        categories=tuple(names + [t.tr(f"dash.theme.{k}") for k in themes]),
        series=(Series(t.tr("dash.cases"),
                       tuple([stats["by_status"][k] for k in keys]
                             + [stats["themes"][k] for k in themes]),
                       stats["cases"], len(keys)),),
        horizontal=True,
        note=t.tr("dash.status.note"),
    )  # fmt: skip


def panels(t: Translator, stats: Mapping[str, Any], protocol: Any,
           place: PlaceName) -> list[PanelData]:  # fmt: skip
    """Every panel of the dashboard, in tab order."""
    return [cities(t, stats, place), people(t, stats, protocol), failures(t, stats),
            red_flags(t, stats, protocol), status(t, stats)]  # fmt: skip


def filters_text(t: Translator, date_from: str | None, date_to: str | None, city: str | None,
                 theme: str | None) -> str:  # fmt: skip
    """The filters in words, for an exported chart ("" when nothing is filtered)."""
    parts = []
    if date_from or date_to:
        parts.append(f"{t.tr('dash.from')} {date_from or '…'} {t.tr('dash.to')} {date_to or '…'}")
    if city:
        parts.append(city)
    if theme:
        parts.append(t.tr(f"dash.theme.{theme}"))
    return " · ".join(parts)
