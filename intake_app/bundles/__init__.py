"""Bundles: the signed, encrypted files that carry cases between devices.

Built from standard parts so a coordinator can check them without this application: a
stored ZIP (`container`) holding an age v1 file (`agefile`) and its minisign signature
(`minisign`); inside the age file, a tar stream (`payload`) led by a signed manifest.
"""
