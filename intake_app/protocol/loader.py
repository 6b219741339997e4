"""Loading protocol files: shipped YAML, or bytes carried inside a bundle (hostile input).

YAML is read with a safe loader that also refuses aliases (no "billion laughs"), duplicate
keys (PyYAML silently keeps the last) and deep nesting. The schema is checked key by key and
every expression is parsed and bound at load, so a loaded protocol cannot fail later.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import yaml

from intake_app.errors import NotFound, ProtocolError
from intake_app.paths import resources_dir
from intake_app.protocol.engine import build_plan
from intake_app.protocol.expr import Frame
from intake_app.protocol.model import Protocol, Question, Section
from intake_app.protocol.schema import Shaper, frame_of

MAX_PROTOCOL_BYTES = 2 * 1024 * 1024
MAX_YAML_DEPTH = 40
SUPPORTED_FORMAT = 1
_PROTOCOL_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}", re.ASCII)
_VERSION_FILE_RE = re.compile(r"v([1-9][0-9]{0,5})\.yaml", re.ASCII)
_CACHE_SIZE = 32

_cache: OrderedDict[str, Protocol] = OrderedDict()
_cache_lock = threading.Lock()


# libyaml when present (7x faster). Its composer recurses in C and crashes the process on deep
# nesting, so the event stream (iterative) is checked first: depth, aliases, size.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_YAML_EVENTS = 500_000


def _line(mark: Any) -> str:
    return str(mark.line + 1) if mark is not None else "?"


def _check_events(text: str) -> None:
    depth = 0
    for count, event in enumerate(yaml.parse(text, Loader=_YAML_LOADER)):
        if count > MAX_YAML_EVENTS:
            raise ProtocolError("Protocol file has too many elements.")
        if isinstance(event, yaml.AliasEvent):
            line = _line(event.start_mark)
            raise ProtocolError(
                f"Protocol file uses a YAML alias (line {line}); aliases are not allowed."
            )
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise ProtocolError(
                    f"Protocol file is nested deeper than {MAX_YAML_DEPTH} levels."
                )
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            depth -= 1


def _check_keys(node: Any) -> None:
    """Refuse duplicate and non-text mapping keys (PyYAML would keep the last silently)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in current.value:
                if not isinstance(key, yaml.ScalarNode):
                    raise ProtocolError(f"Protocol file has a key that is not text "
                                        f"(line {_line(key.start_mark)}).")
                if key.value in seen:
                    raise ProtocolError(f"Protocol file repeats the key {key.value[:60]!r} "
                                        f"(line {_line(key.start_mark)}).")
                seen.add(key.value)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def _parse_yaml(content: bytes) -> Any:
    if len(content) > MAX_PROTOCOL_BYTES:
        raise ProtocolError(
            f"Protocol file is larger than {MAX_PROTOCOL_BYTES // (1024 * 1024)} MB."
        )
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("Protocol file is not valid UTF-8 text.") from None
    if "\x00" in text:
        raise ProtocolError("Protocol file contains a NUL character.")
    try:
        _check_events(text)
        loader = _YAML_LOADER(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _check_keys(node)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # libyaml 0.2.6+ stops at 1,000 levels itself
            raise ProtocolError(
                f"Protocol file is nested deeper than {MAX_YAML_DEPTH} levels."
            ) from None
        raise ProtocolError(
            f"Protocol file is not valid YAML (line {_line(exc.problem_mark)})."
        ) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        raise ProtocolError("Protocol file is not valid YAML.") from None


def load_protocol_bytes(content: bytes) -> Protocol:
    """Load a protocol from its exact file bytes (shipped, or carried in a bundle).

    Raises ProtocolError, with a message naming the place, for anything malformed."""
    if not isinstance(content, bytes | bytearray):
        raise ProtocolError("Protocol content must be bytes.")
    content = bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    with _cache_lock:
        cached = _cache.get(digest)
        if cached is not None:
            _cache.move_to_end(digest)
            return cached
    protocol = _build(_parse_yaml(content), digest)
    with _cache_lock:
        _cache[digest] = protocol
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return protocol


def cached_protocol(sha256: str) -> Protocol | None:
    """A protocol loaded earlier in this process, by the SHA-256 of its file."""
    with _cache_lock:
        return _cache.get(sha256)


def protocols_dir() -> Path:
    return resources_dir() / "protocols"


def available_versions(protocol_id: str, base: Path | None = None) -> list[int]:
    """Versions of a protocol shipped under `base` (default: the resources), ascending."""
    folder = _folder(protocol_id, base)
    if not folder.is_dir():
        return []
    versions = []
    for entry in folder.iterdir():
        m = _VERSION_FILE_RE.fullmatch(entry.name)
        if m and entry.is_file():
            versions.append(int(m.group(1)))
    return sorted(versions)


def load_protocol(protocol_id: str, version: int | None = None, *,
                  base: Path | None = None) -> Protocol:
    """Load `resources/protocols/<id>/v<N>.yaml`: version N, or the newest when None."""
    versions = available_versions(protocol_id, base)
    if not versions:
        raise NotFound(f"There is no protocol named {protocol_id[:64]!r}.")
    if version is None:
        version = versions[-1]
    elif version not in versions:
        raise NotFound(f"Protocol {protocol_id!r} has no version {version}.")
    path = _folder(protocol_id, base) / f"v{version}.yaml"
    try:
        with path.open("rb") as fh:
            content = fh.read(MAX_PROTOCOL_BYTES + 1)
    except OSError:
        raise NotFound(f"Protocol {protocol_id!r} version {version} cannot be read.") from None
    protocol = load_protocol_bytes(content)
    if protocol.id != protocol_id or protocol.version != version:
        raise ProtocolError(
            f"{path.name} in {protocol_id!r} declares id {protocol.id!r} version "
            f"{protocol.version}; they must match the file's place."
        )
    return protocol


def _folder(protocol_id: str, base: Path | None) -> Path:
    if type(protocol_id) is not str or not _PROTOCOL_ID_RE.fullmatch(protocol_id):
        raise NotFound(f"There is no protocol named {str(protocol_id)[:64]!r}.")
    return (base if base is not None else protocols_dir()) / protocol_id


# --- from YAML data to a Protocol ---------------------------------------------------------


_TOP_KEYS = frozenset({"format", "id", "version", "title", "sections", "red_flags"})


def _build(data: Any, digest: str) -> Protocol:
    if not isinstance(data, dict):
        raise ProtocolError("A protocol file must be a mapping with format, id, version, "
                            "title and sections.")
    shaper = Shaper()
    shaper.keys(data, _TOP_KEYS, {"format", "id", "version", "title", "sections"}, "protocol")
    fmt = data["format"]
    if type(fmt) is not int or fmt < 1:
        raise ProtocolError("protocol: 'format' must be a positive whole number.")
    if fmt > SUPPORTED_FORMAT:
        raise ProtocolError(f"The protocol file has format {fmt}: it was made by a newer "
                            "version of this application.")
    protocol_id = data["id"]
    if type(protocol_id) is not str or not _PROTOCOL_ID_RE.fullmatch(protocol_id):
        raise ProtocolError("protocol: 'id' must be lower-case letters, digits, '-' or '_'.")
    version = data["version"]
    if type(version) is not int or not 1 <= version <= 999_999:
        raise ProtocolError("protocol: 'version' must be a whole number from 1.")
    title = shaper.labels(data["title"], "protocol title")
    sections = shaper.sections(data["sections"])
    frame = frame_of(q for s in sections for q in s.questions)
    sections = tuple(_finish_section(shaper, s, frame) for s in sections)
    rules = shaper.red_flags(data.get("red_flags", []), frame)
    plan = build_plan(sections)
    index = {q.id: q for s in sections for q in s.questions}
    everything: dict[str, Question] = {}
    section_of: dict[str, str] = {}
    for s in sections:
        for q in s.questions:
            for d in (q, *_descendants(q)):
                everything[d.full_id] = d
                section_of[d.full_id] = s.id
    return Protocol(
        id=protocol_id, version=version, title=title, sections=sections,
        red_flag_rules=rules, sha256=digest, format=fmt, _index=index, _all=everything,
        _section_of=section_of, _plan=plan,
    )


def _descendants(q: Question) -> list[Question]:
    return [d for c in q.questions for d in (c, *_descendants(c))]


def _finish_section(shaper: Shaper, s: Section, frame: Frame) -> Section:
    relevant = shaper.expression(f"§{s.id}", "relevant", [frame], f"section '{s.id}'")
    questions = tuple(shaper.finish(q, [frame]) for q in s.questions)
    return Section(id=s.id, title=s.title, questions=questions, help=s.help, relevant=relevant)

