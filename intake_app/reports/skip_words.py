"""Skip logic in words, for the printed form: `relevant` expressions become sentences.

The common shapes read naturally ("B.5 «Age at the incident» is under 18", "A.12 «Do you
agree to this interview?» is «Yes»"); anything else is still rendered, term by term, with
question references and option labels, so no condition is ever left off a paper form.
Questions are named by their number on the form and a short label.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

from intake_app.paths import resources_dir
from intake_app.protocol.expr import Binary, Call, ListLit, Lit, Name, Node, Unary
from intake_app.protocol.model import Protocol, Question, pick_label

LABEL_CHARS = 60
_ORDER_OPS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_SPECIAL_VALUES = {"yesno": ("yes", "no", "unknown"), "check": ("done", "not_done", "unknown")}
_CHECK_ALIASES = {"yes": "done", "no": "not_done"}


@functools.cache
def form_words() -> Mapping[str, Any]:
    """The printed forms' own words in en/ru/kk (resources/forms/words.json)."""
    path = resources_dir() / "forms" / "words.json"
    data: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def word(key: str, lang: str, **values: object) -> str:
    text = pick_label(form_words()[key], lang)
    return text.format(**values) if values else text


class SkipWords:
    """Renders expressions of one protocol in one language.

    `numbers` maps a question's full id to its number on the form ("B.5", "D.2.3").
    """

    def __init__(self, protocol: Protocol, lang: str, numbers: Mapping[str, str]) -> None:
        self.protocol = protocol
        self.lang = lang
        self.numbers = numbers
        self.t: Mapping[str, str] = form_words()["expr"].get(lang) or form_words()["expr"]["en"]

    # -- references ------------------------------------------------------------------------
    def question_for(self, name: str, scope: str | None) -> Question | None:
        """A name as the engine binds it: relative to the enclosing group first."""
        if scope:
            parts = scope.split(".")
            for n in range(len(parts), 0, -1):
                q = self.protocol.question(".".join(parts[:n]) + "." + name)
                if q is not None:
                    return q
        q = self.protocol.question(name)
        if q is None and "." in name:
            # x.date / x.by / x.note reach into a check item
            q = self.protocol.question(name.rsplit(".", 1)[0])
        return q

    def ref(self, name: str, scope: str | None) -> str:
        q = self.question_for(name, scope)
        if q is None:
            return name
        label = pick_label(q.label, self.lang).strip()
        if len(label) > LABEL_CHARS:
            label = label[: LABEL_CHARS - 1].rstrip() + "…"
        number = self.numbers.get(q.full_id)
        return f"{number} «{label}»" if number else f"«{label}»"

    def value(self, lit: Any, q: Question | None) -> str:
        if lit is None:
            return self.t["empty"]
        if isinstance(lit, bool):
            return word("yes" if lit else "no", self.lang)
        if isinstance(lit, int | float):
            return str(lit)
        text = str(lit)
        if q is not None:
            option = q.option(text)
            if option is not None:
                return f"«{pick_label(option.label, self.lang)}»"
            if q.type in _SPECIAL_VALUES:
                key = _CHECK_ALIASES.get(text, text) if q.type == "check" else text
                if key in _SPECIAL_VALUES[q.type]:
                    return f"«{word(key, self.lang)}»"
        return f"«{text}»"

    # -- rendering -------------------------------------------------------------------------
    def render(self, node: Node, scope: str | None = None) -> str:
        """The condition in words; never raises for a valid tree."""
        special = self._shape(node, scope)
        if special is not None:
            return special
        return self._generic(node, scope)

    def _shape(self, node: Node, scope: str | None) -> str | None:
        t = self.t
        if isinstance(node, Binary) and node.op in ("and", "or"):
            return f"{self._part(node.left, scope, node.op)} {t[node.op]} " \
                   f"{self._part(node.right, scope, node.op)}"
        if isinstance(node, Binary) and isinstance(node.left, Name):
            q = self.question_for(node.left.name, scope)
            ref = self.ref(node.left.name, scope)
            if node.op in ("==", "!=") and isinstance(node.right, Lit):
                if node.right.value is None:
                    return t["not_answered" if node.op == "==" else "answered"].format(q=ref)
                key = "eq" if node.op == "==" else "ne"
                return t[key].format(q=ref, v=self.value(node.right.value, q))
            if node.op in ("in", "not in") and isinstance(node.right, ListLit) and all(
                isinstance(i, Lit) for i in node.right.items
            ):
                values = [self.value(i.value, q) for i in node.right.items if isinstance(i, Lit)]
                joined = t["list_or"].join(values) if node.op == "in" else ", ".join(values)
                return t["in" if node.op == "in" else "not_in"].format(q=ref, v=joined)
            if node.op in _ORDER_OPS and isinstance(node.right, Lit):
                return t[_ORDER_OPS[node.op]].format(q=ref, v=self.value(node.right.value, q))
        if isinstance(node, Call) and node.func == "answered" and isinstance(node.args[0], Name):
            return t["answered"].format(q=self.ref(node.args[0].name, scope))
        if isinstance(node, Call) and node.func == "has" and isinstance(node.args[0], Name) \
                and isinstance(node.args[1], Lit):
            q = self.question_for(node.args[0].name, scope)
            return t["has"].format(q=self.ref(node.args[0].name, scope),
                                   v=self.value(node.args[1].value, q))
        if isinstance(node, Unary) and node.op == "not":
            return self._negated(node.operand, scope)
        return None

    def _negated(self, inner: Node, scope: str | None) -> str:
        t = self.t
        if isinstance(inner, Binary) and inner.op == "==" and isinstance(inner.left, Name) \
                and isinstance(inner.right, Lit) and inner.right.value is not None:
            q = self.question_for(inner.left.name, scope)
            return t["ne"].format(q=self.ref(inner.left.name, scope),
                                  v=self.value(inner.right.value, q))
        if isinstance(inner, Call) and inner.func == "answered" and isinstance(inner.args[0], Name):
            return t["not_answered"].format(q=self.ref(inner.args[0].name, scope))
        if isinstance(inner, Call) and inner.func == "has" and isinstance(inner.args[0], Name) \
                and isinstance(inner.args[1], Lit):
            q = self.question_for(inner.args[0].name, scope)
            return t["not_has"].format(q=self.ref(inner.args[0].name, scope),
                                       v=self.value(inner.args[1].value, q))
        return t["not"].format(x=self.render(inner, scope))

    def _part(self, node: Node, scope: str | None, parent_op: str) -> str:
        text = self.render(node, scope)
        # "a or b" inside an "and" needs brackets to keep its meaning on paper
        if isinstance(node, Binary) and node.op in ("and", "or") and node.op != parent_op:
            return f"({text})"
        return text

    def _generic(self, node: Node, scope: str | None) -> str:
        """Term by term: the fallback for shapes without a sentence of their own."""
        t = self.t
        if isinstance(node, Lit):
            return self.value(node.value, None)
        if isinstance(node, Name):
            return self.ref(node.name, scope)
        if isinstance(node, ListLit):
            return "[" + ", ".join(self._generic(i, scope) for i in node.items) + "]"
        if isinstance(node, Unary):
            inner = self.render(node.operand, scope)
            return t["not"].format(x=inner) if node.op == "not" else f"−{inner}"
        if isinstance(node, Binary):
            op = {"==": "=", "!=": "≠", "<=": "≤", ">=": "≥"}.get(node.op, node.op)
            return f"{self.render(node.left, scope)} {op} {self.render(node.right, scope)}"
        return self._call(node, scope)

    def _call(self, node: Call, scope: str | None) -> str:
        t = self.t
        first = node.args[0]
        if node.func in ("any", "all") and isinstance(first, Name):
            group = self.question_for(first.name, scope)
            inner_scope = group.full_id if group is not None else scope
            return t[node.func].format(q=self.ref(first.name, scope),
                                       x=self.render(node.args[1], inner_scope))
        if node.func == "count" and isinstance(first, Name):
            return t["count"].format(q=self.ref(first.name, scope))
        if node.func == "days":
            return t["days"].format(a=self.render(node.args[0], scope),
                                    b=self.render(node.args[1], scope))
        render: Callable[[Node], str] = lambda n: self.render(n, scope)  # noqa: E731
        return f"{node.func}(" + ", ".join(render(a) for a in node.args) + ")"


def names_in(node: Node) -> list[str]:
    """Every question name an expression reads, in order of appearance."""
    out: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Name):
            out.append(n.name)
        elif isinstance(n, ListLit):
            for i in n.items:
                walk(i)
        elif isinstance(n, Unary):
            walk(n.operand)
        elif isinstance(n, Binary):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, Call):
            for a in n.args:
                walk(a)

    walk(node)
    return out


def conjuncts(node: Node) -> list[Node]:
    """The parts of a top-level `and` chain (the whole node otherwise)."""
    if isinstance(node, Binary) and node.op == "and":
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]
