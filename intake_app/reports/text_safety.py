"""Make untrusted text safe to show: invisible controls become visible tokens, never obeyed.

Text in a case arrives from other people's machines (bundles) and from paste buffers. Two
kinds of characters can make what a reader sees differ from what is stored:

- control characters (C0 except newline and tab, DEL, C1): they move a terminal's cursor,
  ring bells, clear screens, or vanish in a PDF;
- bidirectional formatting characters (embeddings, overrides, isolates, marks): U+202E can
  make "txt.exe" read "exe.txt", or reverse a date or a name.

Each of these is shown as a token such as ``⟨U+202E⟩``. Everything else is kept exactly as
given, code point for code point: Cyrillic and Kazakh letters, Arabic and Hebrew letters
(whose direction comes from the letters themselves), emoji and their zero-width joiners.
No Unicode normalisation is done, on purpose: evidence stays byte-exact.
"""

from __future__ import annotations

import re

# Every bidi formatting character Unicode defines (UAX #9, table 4): LRE RLE PDF LRO RLO,
# LRI RLI FSI PDI, LRM RLM, and the Arabic letter mark.
BIDI_CONTROLS = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C])

_C0 = {c for c in range(0x00, 0x20) if c not in (0x09, 0x0A)}
_OTHER_CONTROLS = frozenset([*_C0, 0x7F, *range(0x80, 0xA0)])

# Lone surrogates cannot be encoded (they come from undecodable bytes): show them too.
_SURROGATES = range(0xD800, 0xE000)

_UNSAFE_CLASS = (
    "".join(f"\\U{c:08x}" for c in sorted(BIDI_CONTROLS | _OTHER_CONTROLS)) + "\\ud800-\\udfff"
)
_UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
_UNSAFE_SINGLE_LINE = re.compile(f"[{_UNSAFE_CLASS}\\t\\n]")


def token(char: str) -> str:
    """The visible stand-in for one character, e.g. ``⟨U+202E⟩``."""
    return f"⟨U+{ord(char):04X}⟩"


def is_unsafe(char: str) -> bool:
    """True for a character that `visible` replaces (newline and tab excluded)."""
    code = ord(char)
    return code in BIDI_CONTROLS or code in _OTHER_CONTROLS or code in _SURROGATES


def visible(text: str, *, single_line: bool = False) -> str:
    """Return `text` with every control and bidi formatting character shown as a token.

    Newlines and tabs are kept (a CR-LF pair counts as a newline, since Windows pastes
    produce it and it moves nothing a reader would misread); a lone CR is shown, since it
    would overwrite a terminal line. With `single_line`, newlines and tabs are shown as
    tokens too, for table cells and one-line labels.
    """
    text = text.replace("\r\n", "\n")
    pattern = _UNSAFE_SINGLE_LINE if single_line else _UNSAFE
    return pattern.sub(lambda m: token(m.group(0)), text)


def has_unsafe(text: str) -> bool:
    """True when `visible(text)` would change something other than CR-LF pairs."""
    return _UNSAFE.search(text.replace("\r\n", "\n")) is not None
