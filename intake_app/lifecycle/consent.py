"""Consent at export: which cases may go to which recipients, and in which form.

Each recipient's identity card names a category (coalition, lawyer, prosecutor, ombudsman,
un_sr). A case goes to a recipient only where `consent.share.<category>` is `named` or
`anonymous` (as the protocol shows it: an answer hidden by skip logic counts as missing).
With several recipients in one bundle a case goes only if every one of them may have it,
and in the strictest form any of them allows: all `named` -> the case itself; otherwise an
anonymised view (a `named` recipient may always have the anonymous form). Conflicting heads
count at their strictest. A retracted case never goes (its tombstone does); a case whose
identifying answers were retracted goes only anonymised. Every case left out is reported
with a reason: nothing is withheld silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from intake_app.cases import graph
from intake_app.cases.protocols import ProtocolShelf
from intake_app.identity.keys import CATEGORIES
from intake_app.lifecycle import tombstone

NAMED = "named"
ANONYMOUS = "anonymous"
_RANK = {NAMED: 2, ANONYMOUS: 1}
CATEGORY_NAMES = {
    "coalition": "the coalition",
    "lawyer": "lawyers",
    "prosecutor": "the prosecutor's office",
    "ombudsman": "the ombudsman",
    "un_sr": "the UN Special Rapporteur",
}


@dataclass
class ConsentDecision:
    """Cases to send as they are, cases to send anonymised, and [(case id, reason)]."""

    named: list[str] = field(default_factory=list)
    anonymous: list[str] = field(default_factory=list)
    withheld: list[tuple[str, str]] = field(default_factory=list)


def consent_value(answers: dict[str, Any], category: str, protocol: Any) -> str | None:
    """The raw consent answer for a category as the protocol shows it (None: missing or
    hidden by skip logic). `{"status": ...}` answers come back as their status."""
    qid = f"consent.share.{category}"
    if protocol is not None:
        try:
            visible = protocol.evaluate(answers).is_visible(qid)
        except Exception:  # noqa: BLE001 - unreadable answers: fall back to the raw value
            visible = True
        if not visible:
            return None
    value = answers.get(qid)
    if isinstance(value, dict):
        status = value.get("status")
        return f"{status}" if isinstance(status, str) else "malformed"
    return value if isinstance(value, str) else (None if value is None else "malformed")


def reason_for(category: str, value: str | None) -> str:
    """Why a case may not go to a recipient of `category`, for a person."""
    who = CATEGORY_NAMES.get(category, category)
    if value is None:
        return f"no answer recorded on sharing with {who} (consent.share.{category})"
    if value == "no":
        return f"the person did not agree to sharing with {who} (consent.share.{category} = no)"
    if value in ("unknown", "declined"):
        return f"consent to sharing with {who} is {value} (consent.share.{category})"
    return f"consent.share.{category} holds an unexpected value, so nothing is sent"


def _form_for(
    conn: Any, shelf: ProtocolShelf, case_id: str, categories: Sequence[str]
) -> str | tuple[str, str]:
    """NAMED or ANONYMOUS, or ("withheld", reason)."""
    heads = [graph.load_revision(conn, h) for h in graph.case_heads(conn, case_id)]
    if not heads:
        return ("withheld", "the case holds no revision")
    form = NAMED
    for category in categories:
        if category not in CATEGORIES:
            return ("withheld", f"a recipient's card names an unknown category ({category})")
        for head in heads:
            protocol = shelf.for_ref(conn, head.protocol)
            value = consent_value(head.answers, category, protocol)
            if value not in _RANK:
                return ("withheld", reason_for(category, value))
            if _RANK[value] < _RANK[form]:
                form = ANONYMOUS
    return form


def decide(
    conn: Any,
    case_ids: Sequence[str],
    categories: Sequence[str],
    shelf: ProtocolShelf | None = None,
) -> ConsentDecision:
    """Split `case_ids` for recipients of the given categories (see the module docstring)."""
    shelf = shelf or ProtocolShelf()
    decision = ConsentDecision()
    wanted = sorted(set(categories))
    for case_id in sorted(set(case_ids)):
        scope = tombstone.case_scope(conn, case_id)
        if scope == tombstone.SCOPE_CASE:
            decision.withheld.append(
                (case_id, "retracted by the person (only its tombstone is sent)")
            )
            continue
        form = _form_for(conn, shelf, case_id, wanted)
        if isinstance(form, tuple):
            decision.withheld.append((case_id, form[1]))
        elif form == NAMED and scope is None:
            decision.named.append(case_id)
        else:
            decision.anonymous.append(case_id)
    return decision
