"""The fast paths of export and import: pyrage in a helper thread (agestream), one hashing
pass over payload.age, signatures over a prehash. Behaviour only: same bytes as the plain
paths, every error reaches the caller, no helper thread outlives its block, and the helper
never runs more than a few blocks ahead (memory stays flat)."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import random
import sys
import threading
import time
import zlib

import pyrage
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrage import x25519

from intake_app.bundles import agefile, agestream, container, minisign
from intake_app.errors import BundleRefused


def _helpers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("age-")]


@pytest.fixture
def identity() -> x25519.Identity:
    return x25519.Identity.generate()


def _encrypted(plain: bytes, identity: x25519.Identity) -> bytes:
    out = io.BytesIO()
    agefile.encrypt(io.BytesIO(plain), out, [identity.to_public()])
    return out.getvalue()


def test_decrypted_blocks_equal_the_plain_decryption(identity: x25519.Identity) -> None:
    plain = os.urandom(3 * agestream.BLOCK + 12345)
    with agestream.DecryptedBlocks(io.BytesIO(_encrypted(plain, identity)), [identity]) as d:
        blocks = list(d)
    assert b"".join(blocks) == plain and d.length == len(plain)
    assert all(len(b) <= agestream.BLOCK + 8192 for b in blocks) and len(blocks) >= 3
    assert _helpers() == []


def test_decrypted_blocks_of_an_empty_payload(identity: x25519.Identity) -> None:
    with agestream.DecryptedBlocks(io.BytesIO(_encrypted(b"", identity)), [identity]) as d:
        assert list(d) == []


def test_a_flipped_bit_in_the_last_chunk_is_refused_in_the_callers_thread(
    identity: x25519.Identity,
) -> None:
    sealed = bytearray(_encrypted(os.urandom(200_000), identity))
    sealed[-5] ^= 1
    received = 0
    with (
        pytest.raises(BundleRefused, match="damaged or was altered"),
        agestream.DecryptedBlocks(io.BytesIO(bytes(sealed)), [identity]) as blocks,
    ):  # noqa: PT012
        for block in blocks:
            received += len(block)
    assert received < 200_000  # the unauthenticated tail never reached the caller
    assert _helpers() == []


def test_header_checks_still_run_first_a_passphrase_file_is_refused(tmp_path) -> None:  # noqa: ANN001
    src = io.BytesIO(b"age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 50\n"
                     + b"A" * 43 + b"\n--- " + b"A" * 43 + b"\n" + b"\0" * 100)  # fmt: skip
    with (
        pytest.raises(BundleRefused, match="passphrase"),
        agestream.DecryptedBlocks(src, [x25519.Identity.generate()]) as blocks,
    ):  # noqa: PT012
        list(blocks)
    assert _helpers() == []


def test_not_addressed_to_us(identity: x25519.Identity) -> None:
    other = x25519.Identity.generate()
    with (
        pytest.raises(BundleRefused, match="not addressed"),
        agestream.DecryptedBlocks(io.BytesIO(_encrypted(b"x" * 10, other)), [identity]) as b,
    ):  # noqa: PT012
        list(b)


def test_plaintext_cap_applies_in_the_helper(identity: x25519.Identity) -> None:
    src = io.BytesIO(_encrypted(os.urandom(300_000), identity))
    with (
        pytest.raises(BundleRefused, match="larger than the limit"),
        agestream.DecryptedBlocks(src, [identity], max_plaintext=100_000) as blocks,
    ):  # noqa: PT012
        list(blocks)


class _CountingSource(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        out = super().read(size)
        self.consumed += len(out)
        return out


def test_helper_runs_only_a_few_blocks_ahead_and_stops_when_the_caller_leaves(
    identity: x25519.Identity,
) -> None:
    plain = os.urandom(24 * agestream.BLOCK)
    src = _CountingSource(_encrypted(plain, identity))
    with (
        pytest.raises(RuntimeError, match="consumer failed"),
        agestream.DecryptedBlocks(src, [identity]) as blocks,
    ):  # noqa: PT012
        for _ in blocks:
            time.sleep(0.3)  # give the helper every chance to run ahead
            ahead = src.consumed
            raise RuntimeError("consumer failed")
    # What the helper had read when the caller stopped: the bounded queue held it back.
    assert ahead <= (agestream._DEPTH + 3) * (agestream.BLOCK + 16 * 1024)
    assert src.consumed < len(plain)  # it stopped, it did not decrypt the rest
    assert _helpers() == []


def test_encrypting_writer_output_decrypts_to_the_input(identity: x25519.Identity) -> None:
    plain = os.urandom(2 * agestream.BLOCK + 777)
    out = io.BytesIO()
    with agestream.EncryptingWriter(out, [identity.to_public()]) as writer:
        for i in range(0, len(plain), 100_000):
            writer.write(plain[i : i + 100_000])
        writer.close()
    assert _helpers() == []
    back = io.BytesIO()
    agefile.decrypt(io.BytesIO(out.getvalue()), [identity], back)
    assert back.getvalue() == plain


class _FullDisk(io.RawIOBase):
    def __init__(self, after: int) -> None:
        self.left = after

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.left -= len(data)
        if self.left < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return len(data)


def test_an_error_writing_the_output_reaches_the_caller(identity: x25519.Identity) -> None:
    with (
        pytest.raises(pyrage.EncryptError, match="No space left"),
        agestream.EncryptingWriter(_FullDisk(200_000), [identity.to_public()]) as w,
    ):  # noqa: PT012
        for _ in range(20):
            w.write(os.urandom(agestream.BLOCK))
        w.close()
    assert _helpers() == []


def test_caller_leaving_the_encryptor_early_stops_the_helper(identity: x25519.Identity) -> None:
    out = io.BytesIO()
    with pytest.raises(KeyError), agestream.EncryptingWriter(out, [identity.to_public()]) as writer:  # noqa: PT012
        writer.write(os.urandom(3 * agestream.BLOCK))
        raise KeyError("cancelled")
    assert _helpers() == []


def test_payload_digests_match_separate_passes_and_refuse_a_bad_crc() -> None:
    payload = os.urandom(2_500_000)
    blob = io.BytesIO()
    container.write_container(blob, io.BytesIO(payload), len(payload), b"sig")
    box = container.read_container(blob, verify_crc=False)
    digests = container.payload_digests(blob, box)
    assert digests.sha256 == hashlib.sha256(payload).hexdigest()
    assert digests.blake2b == hashlib.blake2b(payload, digest_size=64).digest()
    assert box.payload_crc == zlib.crc32(payload)
    damaged = bytearray(blob.getvalue())
    damaged[box.payload_offset + 1_000_000] ^= 0x10
    bad = io.BytesIO(bytes(damaged))
    with pytest.raises(BundleRefused, match="CRC mismatch"):
        container.payload_digests(bad, container.read_container(bad, verify_crc=False))


def test_prehashed_signatures_are_the_same_signatures() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key, key_id = Ed25519PrivateKey.generate(), os.urandom(8)
    data = os.urandom(100_000)
    digest = hashlib.blake2b(data, digest_size=64).digest()
    streamed = minisign.sign(key, key_id, io.BytesIO(data), "intake-bundle-v1 id=ab seq=1")
    prehashed = minisign.sign_prehashed(key, key_id, digest, "intake-bundle-v1 id=ab seq=1")
    assert streamed == prehashed  # Ed25519 is deterministic
    public = minisign.public_key_of(key, key_id)
    assert minisign.verify_prehashed(prehashed, public, digest) == "intake-bundle-v1 id=ab seq=1"
    assert minisign.verify(prehashed, public, data) == "intake-bundle-v1 id=ab seq=1"
    other = hashlib.blake2b(data + b"x", digest_size=64).digest()
    with pytest.raises(BundleRefused, match="does not match the data"):
        minisign.verify_prehashed(prehashed, public, other)
    with pytest.raises(ValueError, match="64 bytes"):
        minisign.verify_prehashed(prehashed, public, digest[:32])


# ---- end to end: the importer and exporter with their helpers ---------------------------


@pytest.fixture
def pair(tmp_path):  # noqa: ANN001, ANN201
    from bundle_support import make_party, trust

    monitor = make_party(tmp_path, "Monitor")
    coordinator = make_party(tmp_path, "Coordinator", "coordinator")
    trust(coordinator, monitor)
    trust(monitor, coordinator)
    return monitor, coordinator


def test_member_refused_mid_stream_after_chunks_were_stored_changes_nothing(
    pair,
    tmp_path,  # noqa: ANN001
) -> None:
    from bundle_support import (
        attach,
        case_dump,
        export,
        full_dump,
        import_,
        new_case,
        open_bundle,
        rebuild,
        staging_files,
    )

    monitor, coordinator = pair
    case_id = new_case(monitor)
    for i in range(3):
        photo = tmp_path / f"p{i}.jpg"
        photo.write_bytes(b"\xff\xd8\xff" + os.urandom(2_500_000))
        attach(monitor, case_id, photo)
    good = export(monitor, tmp_path / "good.intake", "Coordinator")
    opened = open_bundle(good, monitor.identity)
    records = list(opened.members[2:])
    blobs = [i for i, (name, _) in enumerate(records) if name.startswith("blobs/")]
    # The last attachment swapped for other bytes of its size: the first ones are already
    # stored (files written, rows inside the transaction) when the swap shows.
    last = blobs[-1]
    records[last] = (records[last][0], os.urandom(len(records[last][1])))
    recipients = [monitor.identity.age_recipient, coordinator.identity.age_recipient]
    forged = rebuild(tmp_path / "forged.intake", monitor.identity, recipients,
                     opened.manifest, records)  # fmt: skip
    before = full_dump(coordinator)
    with pytest.raises(BundleRefused, match="does not match the hash"):
        import_(coordinator, forged)
    assert full_dump(coordinator) == before
    assert staging_files(coordinator) == [] and _helpers() == []
    result = import_(coordinator, good)
    assert result.attachments == 3 and _helpers() == []
    theirs, mine = json.loads(case_dump(coordinator)), json.loads(case_dump(monitor))
    assert theirs["contents"] == mine["contents"]


def test_exported_bundle_verifies_and_its_recorded_hash_is_of_the_file(pair, tmp_path) -> None:  # noqa: ANN001
    from bundle_support import attach, new_case, read_bundle

    from intake_app.bundles.export import export_bundle

    monitor, coordinator = pair
    case_id = new_case(monitor)
    photo = tmp_path / "p.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(3_300_000))
    attach(monitor, case_id, photo)
    with monitor.open() as vault:
        result = export_bundle(vault, ["Coordinator"], tmp_path / "b.intake")
        public = minisign.public_key_of(vault.identity.signing_key,
                                        vault.identity.minisign_key_id)  # fmt: skip
    payload, signature = read_bundle(result.path)
    assert hashlib.sha256(payload).hexdigest() == result.payload_sha256
    assert minisign.verify(signature, public, payload).startswith("intake-bundle-v1 id=")
    assert _helpers() == []


def _bundle_file(path, payload: bytes, signature: bytes = b"s" * 300):  # noqa: ANN001, ANN202
    with open(path, "wb") as out:
        container.write_container(out, io.BytesIO(payload), len(payload), signature)
    return path


@pytest.mark.parametrize(
    "size", [0, 1, 4_000, container._TRAILER_MAX + 7, container.COPY_CHUNK - 41, 2_500_000]
)
def test_staging_takes_the_digests_of_the_payload_it_copies(tmp_path, size: int) -> None:  # noqa: ANN001
    payload = os.urandom(size)
    source = _bundle_file(tmp_path / "b.intake", payload, b"s" * container.MAX_SIGNATURE_BYTES)
    staged, digests = container.stage_bundle(source, tmp_path)
    with open(staged, "rb") as fh:
        box = container.read_container(fh, verify_crc=False)
        assert digests.result(box) is not None  # the fast path was taken
        _, again = container.stage_bundle(source, tmp_path)
        fast = container.payload_digests(fh, box, staged=again)
        assert again.result(box) is None  # used once
    assert fast.sha256 == hashlib.sha256(payload).hexdigest()
    assert fast.blake2b == hashlib.blake2b(payload, digest_size=64).digest()


def test_staged_digests_refuse_a_damaged_payload(tmp_path) -> None:  # noqa: ANN001
    payload = os.urandom(2_000_000)
    source = _bundle_file(tmp_path / "b.intake", payload)
    damaged = bytearray(source.read_bytes())
    damaged[container.PAYLOAD_OFFSET + 1_500_000] ^= 0x01
    source.write_bytes(bytes(damaged))
    staged, digests = container.stage_bundle(source, tmp_path)
    with open(staged, "rb") as fh, pytest.raises(BundleRefused, match="CRC mismatch"):
        container.payload_digests(fh, container.read_container(fh, verify_crc=False),
                                  staged=digests)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    payload=st.binary(max_size=20_000),
    trailer=st.integers(0, container._TRAILER_MAX + 500),
    cuts=st.lists(st.integers(1, 9_000), max_size=30),
)
def test_staged_digests_cover_exactly_the_payload_however_the_file_is_read(
    payload: bytes, trailer: int, cuts: list[int]
) -> None:
    data = os.urandom(container.PAYLOAD_OFFSET) + payload + os.urandom(trailer)
    with container.PayloadHashes() as hashes:
        digests = container.StagedDigests(hashes)
        written = bytearray()
        at = 0
        for cut in [*cuts, len(data)]:
            piece = data[at : at + cut]
            at += len(piece)
            digests.feed(piece, lambda piece=piece: written.extend(piece))
        box = container.Container(
            payload_offset=container.PAYLOAD_OFFSET, payload_size=len(payload),
            signature=b"", file_size=len(data),
        )  # fmt: skip
        found = digests.result(box)
    assert written == data  # every byte was stored, in order
    if trailer > container._TRAILER_MAX:
        assert found is None  # more trailer than a valid bundle has: read the payload again
    else:
        blake = hashlib.blake2b(payload, digest_size=64).digest()
        assert found == (hashlib.sha256(payload).hexdigest(), blake, zlib.crc32(payload))


def test_the_staged_payload_is_given_back_only_behind_the_reading(tmp_path) -> None:  # noqa: ANN001
    from intake_app.bundles.importer import ReleasingReader

    start, size = 41, 30 * 1024 * 1024
    data = os.urandom(start + size + 500)
    path = tmp_path / "staged.intake"
    path.write_bytes(data)
    rng = random.Random(7)
    got = bytearray()
    with open(path, "r+b") as fh, open(path, "rb") as check:
        reader = ReleasingReader(container.RangeReader(fh, start, size), fh.fileno(), start)
        while piece := reader.read(rng.choice([8192, 65536, 1_000_003, 3 * 1024 * 1024])):
            got += piece
            check.seek(start + len(got))  # nothing not yet read was given back
            assert check.read(70_000) == data[start + len(got) : start + len(got) + 70_000]
        blocks = os.fstat(fh.fileno()).st_blocks
    assert bytes(got) == data[start : start + size]
    assert path.read_bytes()[-500:] == data[-500:]  # what follows the payload is untouched
    if sys.platform.startswith("linux"):  # tmp_path is a file system that can punch holes
        assert blocks * 512 < len(data) - 20 * 1024 * 1024
