"""`identity card`, `identity export-secret` and `trust add | list | revoke` end to end, in
fresh processes with Qt blocked."""

from __future__ import annotations

import json
from pathlib import Path

import pyrage
import pytest


@pytest.fixture
def coordinator(tmp_path, passphrase_file, run_cli) -> Path:
    folder = tmp_path / "coordinator"
    result = run_cli(
        [
            "--vault",
            folder,
            "--passphrase-file",
            passphrase_file,
            "init",
            "--name",
            "Coordinator",
            "--role",
            "coordinator",
        ]
    )
    assert result.returncode == 0, result.stderr
    return folder


def _cli(run_cli, vault: Path, passphrase_file: Path, *args):
    return run_cli(["--vault", vault, "--passphrase-file", passphrase_file, *args])


def _card(run_cli, vault, passphrase_file, tmp_path) -> Path:
    out = tmp_path / "monitor.card"
    result = _cli(run_cli, vault, passphrase_file, "identity", "card", "--out", out)
    assert result.returncode == 0, result.stderr
    return out


def test_card_then_trust_add_list_revoke(
    run_cli, cli_vault, coordinator, passphrase_file, tmp_path
):
    card_path = _card(run_cli, cli_vault, passphrase_file, tmp_path)
    assert card_path.stat().st_mode & 0o777 == 0o600
    shown = json.loads(
        _cli(run_cli, cli_vault, passphrase_file, "identity", "show", "--json").stdout
    )
    card = json.loads(card_path.read_text())
    assert card["fingerprint"] == shown["fingerprint"]

    added = _cli(
        run_cli, coordinator, passphrase_file, "trust", "add", card_path, "--name", "Monitor Ә"
    )
    assert added.returncode == 0, added.stderr
    assert shown["fingerprint_display"] in added.stdout

    listed = json.loads(
        _cli(run_cli, coordinator, passphrase_file, "trust", "list", "--json").stdout
    )
    assert [(c["name"], c["fingerprint"], c["revoked"]) for c in listed] == [
        ("Monitor Ә", shown["fingerprint"], False)
    ]

    hashes = tmp_path / "sent.txt"
    hashes.write_text("# bundles the owner confirms\n" + "ab" * 32 + "\n")
    revoked = _cli(
        run_cli,
        coordinator,
        passphrase_file,
        "trust",
        "revoke",
        shown["fingerprint_display"],
        "--last-seq",
        "42",
        "--bundles",
        hashes,
    )
    assert revoked.returncode == 0, revoked.stderr
    listed = json.loads(
        _cli(run_cli, coordinator, passphrase_file, "trust", "list", "--json").stdout
    )
    assert listed[0]["revoked"] and listed[0]["last_seq"] == 42
    assert listed[0]["allowed_bundle_hashes"] == ["ab" * 32]

    again = _cli(run_cli, coordinator, passphrase_file, "trust", "add", card_path)
    assert again.returncode == 1 and "revoked" in again.stderr
    audit = _cli(run_cli, coordinator, passphrase_file, "audit", "verify")
    assert audit.returncode == 0, audit.stderr


def test_altered_card_is_refused_with_one_line(
    run_cli, cli_vault, coordinator, passphrase_file, tmp_path
):
    card_path = _card(run_cli, cli_vault, passphrase_file, tmp_path)
    doc = json.loads(card_path.read_text())
    doc["name"] = "Impostor"
    card_path.write_text(json.dumps(doc))
    result = _cli(run_cli, coordinator, passphrase_file, "trust", "add", card_path)
    assert result.returncode == 1
    assert "self-signature" in result.stderr and "Traceback" not in result.stderr
    listed = _cli(run_cli, coordinator, passphrase_file, "trust", "list", "--json")
    assert json.loads(listed.stdout) == []


def test_revoke_bundles_without_last_seq_is_a_usage_error(
    run_cli, coordinator, passphrase_file, tmp_path
):
    hashes = tmp_path / "h.txt"
    hashes.write_text("ab" * 32 + "\n")
    result = _cli(
        run_cli, coordinator, passphrase_file, "trust", "revoke", "A" * 32, "--bundles", hashes
    )
    assert result.returncode == 2 and "--last-seq" in result.stderr


def test_export_secret_with_passphrase_opens_with_age_format(run_cli, cli_vault, tmp_path):
    pw = tmp_path / "pw2.txt"
    pw.write_text("correct horse battery staple\nexport passphrase 42\n")
    out = tmp_path / "key.age"
    result = _cli(run_cli, cli_vault, pw, "identity", "export-secret", "--out", out)
    assert result.returncode == 0, result.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    blob = out.read_bytes()
    assert blob.startswith(b"age-encryption.org/v1\n-> scrypt ")
    text = pyrage.passphrase.decrypt(blob, "export passphrase 42").decode()
    secret = [line for line in text.splitlines() if line.startswith("AGE-SECRET-KEY-1")]
    recipient = pyrage.x25519.Identity.from_str(secret[0]).to_public()
    shown = json.loads(_cli(run_cli, cli_vault, pw, "identity", "show", "--json").stdout)
    assert str(recipient) == shown["age_recipient"]


def test_export_secret_needs_a_strong_enough_passphrase(run_cli, cli_vault, tmp_path):
    pw = tmp_path / "pw2.txt"
    pw.write_text("correct horse battery staple\nshort\n")
    out = tmp_path / "key.age"
    result = _cli(run_cli, cli_vault, pw, "identity", "export-secret", "--out", out)
    assert result.returncode == 1 and "too short" in result.stderr
    assert not out.exists()


def test_export_secret_plaintext_warns_and_is_private(
    run_cli, cli_vault, passphrase_file, tmp_path
):
    out = tmp_path / "key.txt"
    result = _cli(
        run_cli,
        cli_vault,
        passphrase_file,
        "identity",
        "export-secret",
        "--out",
        out,
        "--plaintext",
    )
    assert result.returncode == 0, result.stderr
    assert "UNENCRYPTED" in result.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.read_text().startswith("AGE-SECRET-KEY-1") and out.read_text().count("\n") == 1
