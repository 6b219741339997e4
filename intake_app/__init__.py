"""Field Intake core: vault, protocol, cases, bundles, reports. Never imports Qt."""

__version__ = "0.1.0"
