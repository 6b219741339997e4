"""Fill a record with random, type-correct answers for any protocol (tests and bench)."""

from __future__ import annotations

import hashlib
import random
import uuid
from typing import Any

from intake_app.protocol import Protocol, Question


def _value(q: Question, rng: random.Random, depth: int = 0) -> Any:
    kind = q.type
    if rng.random() < 0.05:
        return {"status": rng.choice(["unknown", "declined"])}
    if kind in ("text", "longtext"):
        return "Ә қ ң ө"[: (q.max_length or 7)] if (q.max_length or 99) > 2 else "KZ"
    if kind == "date":
        return f"2022-01-{rng.randint(1, 28):02d}"
    if kind == "number":
        low = int(q.min) if q.min is not None else 0
        high = int(q.max) if q.max is not None else low + 100
        return rng.randint(low, high)
    if kind == "choice":
        return rng.choice(q.options).value
    if kind == "multichoice":
        return [o.value for o in rng.sample(q.options, rng.randint(1, min(3, len(q.options))))]
    if kind == "yesno":
        return rng.choice(["yes", "no", "unknown"])
    if kind == "check":
        if rng.random() < 0.5:
            return rng.choice(["yes", "no", "unknown"])
        return {"status": rng.choice(["done", "not_done", "unknown"]),
                "date": f"2022-02-{rng.randint(1, 28):02d}", "by": "investigator"}
    if kind == "person":
        return {"name": "Person", "agency": "police"}
    if kind == "attachment":
        return [hashlib.sha256(str(rng.random()).encode()).hexdigest()]
    if kind == "place":
        return rng.choice(["kz.city.almaty", {"text": "a sports complex"}])
    if kind == "bodymap":
        return [{"_id": str(uuid.UUID(int=rng.getrandbits(128))), "view": "front",
                 "region": "head", "kind": "bruise"}]
    if kind == "group":
        items = []
        for _ in range(rng.randint(1, 3)):
            item: dict[str, Any] = {"_id": str(uuid.UUID(int=rng.getrandbits(128)))}
            for child in q.questions:
                if not child.retired:
                    item[child.id] = _value(child, rng, depth + 1)
            items.append(item)
        return items
    raise AssertionError(kind)


def fill(protocol: Protocol, seed: int = 0, **fixed: Any) -> dict[str, Any]:
    """Every non-retired question answered with a type-correct value (`fixed` overrides by
    id, with "__" for "."); answers that break a constraint are then dropped."""
    rng = random.Random(seed)
    answers = {q.id: _value(q, rng) for q in protocol.top_level().values() if not q.retired}
    answers.update({key.replace("__", "."): value for key, value in fixed.items()})
    for problem in protocol.validate(answers):
        top = problem.question_id
        if top in answers and problem.item_id is None:
            del answers[top]
        else:
            for group in protocol.top_level().values():
                if group.type == "group" and top.startswith(group.id + "."):
                    relative = top[len(group.id) + 1:]
                    for item in answers.get(group.id, []):
                        if isinstance(item, dict) and item.get("_id") == problem.item_id:
                            item.pop(relative, None)
    return answers
