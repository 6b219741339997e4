"""Write a deterministic ZIP of a build folder (for Windows, where GNU tar is not at hand).

    python packaging/archive_zip.py dist/field-intake dist/field-intake-0.1.0-windows-x64.zip

Names sorted, every entry dated SOURCE_DATE_EPOCH (clamped to 1980, the ZIP epoch), no extra
fields, fixed permissions: the same folder always gives the same bytes.
"""

from __future__ import annotations

import os
import sys
import time
import zipfile
from pathlib import Path


def write_zip(folder: Path, out: Path, epoch: int) -> None:
    stamp = time.gmtime(max(epoch, 315532800))[:6]  # 1980-01-01, the earliest ZIP date
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    partial = out.with_name(out.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            name = f"{folder.name}/{path.relative_to(folder).as_posix()}"
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the mode below is read back everywhere
            info.external_attr = (0o100755 if os.access(path, os.X_OK) else 0o100644) << 16
            with path.open("rb") as source, archive.open(info, "w") as target:
                while chunk := source.read(1 << 20):
                    target.write(chunk)
    os.replace(partial, out)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
    write_zip(Path(sys.argv[1]), Path(sys.argv[2]), epoch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
