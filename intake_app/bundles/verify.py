"""The outer check of a bundle, without decrypting: container layout, the minisign signature
over payload.age, and who made it according to this vault's trust registry.

`import` runs the same check first (before the duplicate check and before decrypting);
`verify` stops here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from intake_app.bundles import container, minisign
from intake_app.bundles import manifest as mf
from intake_app.errors import BundleRefused
from intake_app.identity import keys
from intake_app.identity.trust import Signer, TrustRegistry
from intake_app.progress import CancelToken
from intake_app.vault import Vault

STATUS_TRUSTED = "trusted"
STATUS_REVOKED = "revoked"
STATUS_OWN = "this device"


@dataclass(frozen=True)
class OuterCheck:
    """A bundle whose outer signature verified against a key this vault knows."""

    signer: Signer
    signer_name: str
    status: str
    bundle_id: str
    seq: int
    trusted_comment: str
    payload_sha256: str
    container: container.Container

    @property
    def fingerprint_display(self) -> str:
        return keys.display_fingerprint(self.signer.fingerprint)


def check_outer(
    vault: Vault,
    fh: BinaryIO,
    *,
    cancel: CancelToken | None = None,
    staged: container.StagedDigests | None = None,
) -> OuterCheck:
    """Check the bundle in `fh` (a private, stable copy for import) up to its signer;
    `staged`: the payload digests taken while that copy was written (not read again).

    Raises BundleRefused for a malformed file, an unknown signer, a signature that does not
    match or a trusted comment that is not a bundle id and sequence. A revoked signer is
    returned with status "revoked": what to accept from it is `trust.admit`'s call.
    """
    box = container.read_container(fh, verify_crc=False, cancel=cancel)
    # One pass over the payload for its CRC, SHA-256 and the signature's BLAKE2b prehash.
    digests = container.payload_digests(fh, box, cancel=cancel, staged=staged)
    parsed = minisign.parse_signature(box.signature)
    signer = TrustRegistry(vault).signer_for_key_id(parsed.key_id)
    comment = minisign.verify_prehashed(box.signature, signer.minisign_key, digests.blake2b)
    bundle_id, seq = mf.parse_trusted_comment(comment)
    if signer.contact is None:
        name, status = vault.identity.name, STATUS_OWN
    else:
        name = signer.contact.name
        status = STATUS_REVOKED if signer.contact.revoked else STATUS_TRUSTED
    return OuterCheck(
        signer=signer, signer_name=name, status=status, bundle_id=bundle_id, seq=seq,
        trusted_comment=comment, payload_sha256=digests.sha256, container=box,
    )  # fmt: skip


def verify_bundle(vault: Vault, path: Path, *, cancel: CancelToken | None = None) -> OuterCheck:
    """`intake-app verify`: the outer check of the file at `path` (nothing is decrypted)."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise BundleRefused(f"There is no bundle file at {path}.") from None
    except OSError as exc:
        raise BundleRefused(f"The bundle file cannot be read: {exc.strerror}.") from None
    with fh:
        return check_outer(vault, fh, cancel=cancel)
