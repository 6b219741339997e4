"""The coalition's published January 2022 figures, reproduced end to end through the CLI:
`demo --cases 190 --seed 2022` then `stats --json` (Qt blocked in the subprocess)."""

from __future__ import annotations

import json

TERMINATED_OF = {  # city: (terminated, cases) as the Coalition against Torture published
    "kz.city.taraz": (33, 33),
    "kz.city.almaty": (31, 46),
    "kz.city.kyzylorda": (11, 11),
}
TERMINATED = {
    "kz.city.shymkent": 6, "kz.city.ekibastuz": 6, "kz.city.uralsk": 6, "kz.city.aktobe": 5,
    "kz.city.kostanay": 3, "kz.city.ust_kamenogorsk": 1, "kz.city.semey": 1,
    "kz.city.karaganda": 1,
}  # fmt: skip


def test_demo_190_seed_2022_gives_the_published_figures(run_cli, cli_vault, passphrase_file):
    common = ["--vault", cli_vault, "--passphrase-file", passphrase_file]
    demo = run_cli([*common, "demo", "--cases", "190", "--seed", "2022"])
    assert demo.returncode == 0, demo.stderr
    result = run_cli([*common, "stats", "--json"])
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)

    assert stats["cases"] == 190
    assert stats["by_sex"]["male"] == 178 and stats["by_sex"]["female"] == 12
    assert stats["minors"] == 13
    assert stats["terminated"] == 104
    by_city = stats["by_city"]
    for city, (terminated, cases) in TERMINATED_OF.items():
        assert (by_city[city]["terminated"], by_city[city]["cases"]) == (terminated, cases), city
    for city, terminated in TERMINATED.items():
        assert by_city[city]["terminated"] == terminated, city
    assert sum(entry["terminated"] for entry in by_city.values()) == 104
    assert stats["city_unknown"] == 0 and stats["themes"]["january_2022"] == 190

    again = run_cli([*common, "stats", "--json"])
    assert again.stdout == result.stdout  # deterministic, byte for byte
