"""Where things live: the vault folder and the shipped resources."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "field-intake"


def default_vault_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "vault"


def resolve_vault_dir(arg: str | os.PathLike[str] | None) -> Path:
    """`--vault DIR` wins, then INTAKE_VAULT, then the platform's user data folder."""
    if arg:
        return Path(arg).expanduser()
    env = os.environ.get("INTAKE_VAULT")
    if env:
        return Path(env).expanduser()
    return default_vault_dir()


def resources_dir() -> Path:
    """The shipped resources: beside the package in a checkout, inside a frozen build."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
