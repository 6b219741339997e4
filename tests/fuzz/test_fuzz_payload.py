"""Fuzzing the decrypted tar payload: the pull reader (iter_members) and the push parser
(PayloadParser, fed in random chunk sizes) refuse with typed errors only, and agree."""

from __future__ import annotations

import io

from fuzz_support import budget, hostile_bytes, only_typed_errors
from hypothesis import given
from hypothesis import strategies as st

from intake_app.bundles.payload import PayloadParser, iter_members


class Recorder:
    def __init__(self) -> None:
        self.members: list[tuple[str, int, int]] = []
        self._got = 0

    def begin(self, name: str, size: int) -> None:
        self.members.append((name, size, 0))
        self._got = 0

    def data(self, chunk: bytes) -> None:
        self._got += len(chunk)
        name, size, _ = self.members[-1]
        assert self._got <= size, "the parser passed on more than the member's size"
        self.members[-1] = (name, size, self._got)

    def end(self) -> None:
        name, size, got = self.members[-1]
        assert got == size


def pull(blob: bytes) -> list[tuple[str, int, int]]:
    out = []
    for member in iter_members(io.BytesIO(blob)):
        out.append((member.name, member.size, len(member.reader.read())))
    return out


def push(blob: bytes, cuts: list[int]) -> list[tuple[str, int, int]]:
    recorder = Recorder()
    parser = PayloadParser(recorder)
    pos = 0
    for cut in cuts:
        parser.write(blob[pos : pos + cut])
        pos += cut
    parser.write(blob[pos:])
    parser.close()
    return recorder.members


@budget(500)
@given(data=st.data())
def test_payload_readers_refuse_with_typed_errors_and_agree(samples, data) -> None:
    blob = data.draw(hostile_bytes(samples.payload_tar))
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=3000), max_size=8))
    pulled, pull_refusal = only_typed_errors(pull, blob)
    pushed, push_refusal = only_typed_errors(push, blob, cuts)
    assert (pull_refusal is None) == (push_refusal is None), (pull_refusal, push_refusal)
    if pull_refusal is None:
        assert pulled == pushed
        assert pulled[0][0] == "manifest.json"
        names = [m[0] for m in pulled]
        assert len(names) == len(set(names))
