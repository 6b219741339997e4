"""The declarative interview protocol: loading, skip logic, validation, red flags.

Plain Python, no Qt, no vault. See docs/ARCHITECTURE.md ("Protocol file format",
"Expression language", "Protocol API").
"""

from intake_app.protocol.engine import Evaluation, Problem
from intake_app.protocol.expr import Expression, compile_expression, parse
from intake_app.protocol.loader import (
    available_versions,
    cached_protocol,
    load_protocol,
    load_protocol_bytes,
)
from intake_app.protocol.model import Option, Protocol, Question, RedFlagRule, Section
from intake_app.protocol.values import (
    display_value,
    is_answered,
    normalize_check,
    parse_partial_date,
    status_of,
)

__all__ = [
    "Evaluation", "Expression", "Option", "Problem", "Protocol", "Question", "RedFlagRule",
    "Section", "available_versions", "cached_protocol", "compile_expression", "display_value",
    "is_answered", "load_protocol", "load_protocol_bytes", "normalize_check",
    "parse_partial_date", "parse", "status_of",
]
