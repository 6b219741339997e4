"""A constraint never rejects an honest "unknown" or "declined" answer."""

from intake_app.protocol import load_protocol


def test_unknown_and_declined_pass_a_constraint() -> None:
    p = load_protocol("torture-intake")
    base = {"consent.interview": "yes", "victim.pseudonym": "P", "victim.sex": "male",
            "incident.date": "2022-01-06"}
    for status in ("unknown", "declined"):
        answers = dict(base, **{"victim.citizenship": {"status": status}})
        assert [pr for pr in p.validate(answers) if pr.question_id == "victim.citizenship"] == []
    bad = dict(base, **{"victim.citizenship": "k1"})
    assert [pr for pr in p.validate(bad) if pr.question_id == "victim.citizenship"]
