"""Evaluating a record against its protocol: skip logic, problems, red flags, completeness.

Skip logic hides, never deletes: answers to hidden questions stay in the record and stay
valid. But expressions see only what is shown: a hidden answer reads as null in every
condition, constraint and red-flag rule, so a stale answer left behind skip logic (the
minors' section after the age was corrected to 20) never raises a flag. Retired questions are
never shown yet stay readable, so a newer protocol's rules can still use an old answer. To make that
well-defined, questions are evaluated in dependency order, fixed at load (cycles refused).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from intake_app.errors import ProtocolError
from intake_app.protocol.checks import Checker, checker, item_id_problem, kind_of, short
from intake_app.protocol.expr import Env, Expression
from intake_app.protocol.model import Protocol, Question, Section, pick_label
from intake_app.protocol.values import is_answered


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a record. `message` is a full English line naming the question;
    `text(lang)` is the bare text in a language (for showing next to the field)."""

    question_id: str
    message: str
    item_id: str | None = None
    texts: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    def text(self, lang: str = "en") -> str:
        return pick_label(self.texts, lang) or self.message


@dataclass(frozen=True)
class Evaluation:
    visible: frozenset[str]  # top-level ids shown; "group.child" when shown in any item
    missing: list[str]  # required, shown, unanswered (distinct ids, protocol order)
    problems: list[Problem]
    red_flags: list[str]  # rule ids, protocol order
    completeness: dict[str, tuple[int, int]]  # section id -> (answered, shown)
    visible_sections: frozenset[str]
    visible_items: Mapping[tuple[str, str], frozenset[str]]  # (group, item _id) -> child ids
    missing_items: list[tuple[str, str | None]]  # (question id, item _id or None)

    def is_visible(self, question_id: str, item_id: str | None = None) -> bool:
        if item_id is None:
            return question_id in self.visible
        group = question_id.rpartition(".")[0]
        while group:
            shown = self.visible_items.get((group, item_id))
            if shown is not None:
                return question_id in shown
            group = group.rpartition(".")[0]
        return False


@dataclass(frozen=True)
class Plan:
    """The evaluation order fixed at load: top-level steps and each group's item order."""

    steps: tuple[tuple[Section, Question | None], ...]
    item_order: Mapping[str, tuple[Question, ...]]
    children: Mapping[str, Mapping[str, Question]]
    position: Mapping[str, int]  # full id -> protocol order
    checkers: Mapping[str, Checker]  # full id -> type check of one value


# --- the plan -----------------------------------------------------------------------------


def _deps(expr: Expression | None, depth: int) -> set[str]:
    return {key for d, key in expr.deps if d == depth} if expr is not None else set()


def _deps_within(q: Question, depth: int) -> set[str]:
    """Keys at frame `depth` that q's visibility (or any descendant's) reads."""
    out = _deps(q.relevant, depth)
    for child in q.questions:
        out |= _deps_within(child, depth)
    return out


def _descendants(q: Question) -> list[Question]:
    return [d for c in q.questions for d in (c, *_descendants(c))]


def _order(nodes: list[tuple[str, set[str]]], what: str) -> list[str]:
    """Dependencies first, protocol order otherwise; a cycle is a ProtocolError."""
    deps = dict(nodes)
    done: set[str] = set()
    out: list[str] = []

    def visit(name: str, path: list[str]) -> None:
        if name in done:
            return
        if name in path:
            cycle = " → ".join([*path[path.index(name):], name])
            raise ProtocolError(f"Conditions in {what} depend on each other in a circle: {cycle}.")
        path.append(name)
        for dep in sorted(deps.get(name, ())):
            if dep in deps and dep != name:
                visit(dep, path)
            elif dep == name:
                raise ProtocolError(f"'{name}' is shown only depending on its own answer.")
        path.pop()
        done.add(name)
        out.append(name)

    for name, _ in nodes:
        visit(name, [])
    return out


def build_plan(sections: Iterable[Section]) -> Plan:
    """Order evaluation so every condition reads answers already decided; refuse cycles."""
    sections = tuple(sections)
    nodes: list[tuple[str, set[str]]] = []
    by_node: dict[str, tuple[Section, Question | None]] = {}
    item_order: dict[str, tuple[Question, ...]] = {}
    children: dict[str, Mapping[str, Question]] = {}
    for section in sections:
        skey = f"§{section.id}"
        nodes.append((skey, _deps(section.relevant, 0)))
        by_node[skey] = (section, None)
        for q in section.questions:
            nodes.append((q.id, _deps_within(q, 0) | {skey}))
            by_node[q.id] = (section, q)
            _plan_group(q, 1, item_order, children)
    steps = tuple(by_node[name] for name in _order(nodes, "the protocol"))
    flat = [d for s in sections for q in s.questions for d in (q, *_descendants(q))]
    position = {q.full_id: n for n, q in enumerate(flat)}
    checkers = {q.full_id: checker(q) for q in flat}
    return Plan(steps, item_order, children, position, checkers)


def _plan_group(
    q: Question, depth: int, item_order: dict[str, tuple[Question, ...]],
    children: dict[str, Mapping[str, Question]],
) -> None:
    if q.type != "group":
        return
    children[q.full_id] = {c.id: c for c in q.questions}
    nodes = [(c.id, _deps_within(c, depth)) for c in q.questions]
    order = _order(nodes, f"group '{q.full_id}'")
    item_order[q.full_id] = tuple(children[q.full_id][name] for name in order)
    for child in q.questions:
        _plan_group(child, depth + 1, item_order, children)


# --- evaluation ---------------------------------------------------------------------------


class _Run:
    """The state of one evaluation of one record."""

    def __init__(self, plan: Plan, sections: tuple[Section, ...]) -> None:
        self.plan = plan
        self.visible: set[str] = set()
        self.visible_items: dict[tuple[str, str], frozenset[str]] = {}
        self.missing: list[tuple[str, str | None]] = []
        self.problems: list[Problem] = []
        self.bad: set[tuple[str, str | None]] = set()  # answers with a type problem
        self.deferred: list[tuple[Question, Env, str | None, str]] = []
        self.counts: dict[str, list[int]] = {s.id: [0, 0] for s in sections}

    def problem(self, qid: str, where: str, text: str, item_id: str | None = None,
                texts: Mapping[str, str] | None = None) -> None:
        self.problems.append(Problem(qid, f"{where}: {text}", item_id, texts or {"en": text}))

    def shown(self, q: Question, env: Env, raw: Any, counts: list[int],
              item_id: str | None, where: str) -> Any:
        """Count a shown question and return what expressions should see of its answer."""
        counts[1] += 1
        if (type(raw) is str and not raw.isspace() and raw != "") or (
            raw is not None and type(raw) is not str and is_answered(raw)
        ):
            counts[0] += 1
        elif q.required:
            self.missing.append((q.full_id, item_id))
        if raw is None:
            return None
        # An honest "unknown" or "declined" is never held against a constraint.
        if q.constraint is not None and not _is_status_answer(raw):
            self.deferred.append((q, env, item_id, where))
        if q.type == "group":
            return self.items(q, raw, env, counts, where)
        return raw

    def items(self, group: Question, raw: Any, env: Env, counts: list[int],
              where: str) -> Any:
        if type(raw) is not list:
            return raw
        order = self.plan.item_order[group.full_id]
        out: list[dict[str, Any]] = []
        for n, item in enumerate(raw, 1):
            if type(item) is not dict:
                continue
            item_id = item.get("_id") if type(item.get("_id")) is str else None
            seen: dict[str, Any] = {"_id": item_id}
            item_env = (*env, seen)
            item_where = f"{where}, item {n}" if where else f"item {n}"
            shown: set[str] = set()
            for child in order:
                if child.retired:
                    if item.get(child.id) is not None:
                        seen[child.id] = item[child.id]
                    continue
                if child.relevant is not None and child.relevant.fn(item_env) is not True:
                    continue
                shown.add(child.full_id)
                value = self.shown(child, item_env, item.get(child.id), counts, item_id,
                                   item_where)
                if value is not None:
                    seen[child.id] = value
            self.visible.update(shown)
            if item_id is not None:
                self.visible_items[(group.full_id, item_id)] = frozenset(shown)
            out.append(seen)
        return out

    def check_constraints(self) -> None:
        for q, env, item_id, where in self.deferred:
            if (q.full_id, item_id) in self.bad or q.constraint is None:
                continue
            if q.constraint(env) is True:
                continue
            texts = dict(q.constraint_message or {})
            if "en" not in texts:
                texts["en"] = "the answer does not meet the protocol's condition"
            label = q.full_id if not where else f"{q.full_id} ({where})"
            self.problems.append(Problem(q.full_id, f"{label}: {texts['en']}", item_id, texts))


def _is_status_answer(raw: Any) -> bool:
    return type(raw) is dict and raw.get("status") in ("unknown", "declined") and len(raw) == 1


def _check_types(run: _Run, p: Protocol, answers: dict[Any, Any]) -> None:
    index = p.top_level()
    for key, value in answers.items():
        q = index.get(key) if type(key) is str else None
        if q is None:
            shown = short(key, 100) if type(key) is str else kind_of(key)
            run.problems.append(Problem(str(key)[:100], f"Unknown question id {shown}"))
            continue
        if value is None:
            continue
        if q.type == "group":
            _check_group(run, q, value, "")
            continue
        text = run.plan.checkers[q.full_id](value)
        if text is not None:
            run.bad.add((q.full_id, None))
            run.problem(q.full_id, q.full_id, text)


def _check_group(run: _Run, group: Question, value: Any, path: str) -> None:
    where = f"{group.full_id} ({path})" if path else group.full_id
    if type(value) is dict and value.get("status") in ("unknown", "declined") and len(value) == 1:
        return
    if type(value) is not list:
        run.bad.add((group.full_id, None))
        run.problem(group.full_id, where, f"expected a list of items, got {kind_of(value)}")
        return
    children = run.plan.children[group.full_id]
    seen: set[str] = set()
    for n, item in enumerate(value, 1):
        item_path = f"{path}, item {n}" if path else f"item {n}"
        item_where = f"{group.full_id} ({item_path})"
        if type(item) is not dict:
            run.problem(group.full_id, item_where, f"expected an object, got {kind_of(item)}")
            continue
        raw_id = item.get("_id")
        item_id = raw_id if type(raw_id) is str else None
        text = item_id_problem(raw_id, seen)
        if text is not None:
            run.problem(group.full_id, item_where, text, item_id)
        for key, child_value in item.items():
            if key == "_id":
                continue
            child = children.get(key) if type(key) is str else None
            if child is None:
                shown = short(key) if type(key) is str else kind_of(key)
                run.problem(group.full_id, item_where, f"unknown key {shown}", item_id)
                continue
            if child_value is None:
                continue
            if child.type == "group":
                _check_group(run, child, child_value, item_path)
                continue
            text = run.plan.checkers[child.full_id](child_value)
            if text is not None:
                run.bad.add((child.full_id, item_id))
                run.problem(child.full_id, f"{child.full_id} ({item_path})", text, item_id)


def evaluate(p: Protocol, answers: Any) -> Evaluation:
    """Evaluate a record (answers keyed by full question ids) under protocol `p`.

    Never raises on data: malformed answers become problems."""
    plan = p._plan
    assert plan is not None, "protocols are built by the loader"
    run = _Run(plan, p.sections)
    if type(answers) is not dict:
        run.problems.append(Problem("", "Answers must be an object keyed by question id."))
        answers = {}
    _check_types(run, p, answers)
    seen: dict[str, Any] = {}
    env: Env = (seen,)
    sections_shown: set[str] = set()
    for section, q in plan.steps:
        if q is None:
            if section.relevant is None or section.relevant.fn(env) is True:
                sections_shown.add(section.id)
            continue
        if q.retired:
            # Never shown, but still read: a newer protocol's rules may use an old answer.
            if answers.get(q.id) is not None:
                seen[q.id] = answers[q.id]
            continue
        if section.id not in sections_shown:
            continue
        if q.relevant is not None and q.relevant.fn(env) is not True:
            continue
        run.visible.add(q.id)
        value = run.shown(q, env, answers.get(q.id), run.counts[section.id], None, "")
        if value is not None:
            seen[q.id] = value
    run.check_constraints()
    flags = [rule.id for rule in p.red_flag_rules if rule.when.fn(env) is True]
    # Evaluation runs in dependency order; report in protocol order (stable within a group).
    where = plan.position
    run.missing.sort(key=lambda m: where.get(m[0], 0))
    missing_ids = list(dict.fromkeys(qid for qid, _ in run.missing))
    return Evaluation(
        visible=frozenset(run.visible),
        missing=missing_ids,
        problems=run.problems,
        red_flags=flags,
        completeness={sid: (c[0], c[1]) for sid, c in run.counts.items()},
        visible_sections=frozenset(sections_shown),
        visible_items=run.visible_items,
        missing_items=run.missing,
    )
