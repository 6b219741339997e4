"""Untrusted text shown safely: controls and direction overrides visible, never obeyed."""

from __future__ import annotations

import pytest

from intake_app.reports.text_safety import BIDI_CONTROLS, has_unsafe, token, visible

RLO = "\u202e"


def test_u202e_shown_as_token_not_obeyed() -> None:
    text = f"photo{RLO}gpj.exe"
    assert visible(text) == "photo⟨U+202E⟩gpj.exe"
    assert RLO not in visible(text)


@pytest.mark.parametrize("code", sorted(BIDI_CONTROLS))
def test_every_bidi_control_visible(code: int) -> None:
    assert visible(f"a{chr(code)}b") == f"a⟨U+{code:04X}⟩b"


def test_bidi_set_is_complete() -> None:
    expected = {*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C}
    assert expected == BIDI_CONTROLS


@pytest.mark.parametrize("code", [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
def test_c0_controls_and_del_visible(code: int) -> None:
    shown = visible(f"x{chr(code)}y")
    assert shown == f"x⟨U+{code:04X}⟩y"


@pytest.mark.parametrize("code", range(0x80, 0xA0))
def test_c1_controls_visible(code: int) -> None:
    assert visible(chr(code)) == f"⟨U+{code:04X}⟩"


def test_terminal_escape_sequence_defused() -> None:
    attack = "ok\x1b[2J\x1b]0;title\x07"
    shown = visible(attack)
    assert "\x1b" not in shown and "\x07" not in shown
    assert shown == "ok⟨U+001B⟩[2J⟨U+001B⟩]0;title⟨U+0007⟩"


def test_newline_and_tab_kept_crlf_is_newline_lone_cr_shown() -> None:
    assert visible("a\nb\tc") == "a\nb\tc"
    assert visible("a\r\nb") == "a\nb"
    assert visible("real\rfake") == "real⟨U+000D⟩fake"


def test_single_line_shows_newlines_and_tabs() -> None:
    assert visible("a\nb\tc", single_line=True) == "a⟨U+000A⟩b⟨U+0009⟩c"


def test_lone_surrogate_visible() -> None:
    assert visible("a\udc80b") == "a⟨U+DC80⟩b"


@pytest.mark.parametrize(
    "text",
    [
        "Жәбірленуші: Әсел Қайратқызы, Өскемен, ұлы үйде, һ і ғ ң",
        "Иванов Пётр Сергеевич, ИВС г. Уральск",
        "שלום עליכם and مرحبا",  # RTL letters carry their own direction: kept
        "👩‍👩‍👧 family, 👍🏽, 🏳️‍🌈",  # ZWJ, skin tone, variation selectors kept
        "zero\u200bwidth\u200cnon-joiner\u00adsoft hyphen",
        "",
    ],
)
def test_everything_else_byte_exact(text: str) -> None:
    assert visible(text) == text
    assert visible(text).encode() == text.encode()
    assert not has_unsafe(text)


def test_has_unsafe() -> None:
    assert has_unsafe(f"x{RLO}")
    assert has_unsafe("\x00")
    assert not has_unsafe("a\r\nb")
    assert has_unsafe("a\rb")


def test_token_format() -> None:
    assert token("\x00") == "⟨U+0000⟩"
    assert token("\U000e0001") == "⟨U+E0001⟩"
