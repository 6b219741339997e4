"""Command groups, discovered by intake_app.cli.main: each module exposes `register(subparsers)`.

Add a command group by adding a module here; nothing else needs to change. Groups shared by
several modules (e.g. `case`, `identity`) go through `framework.command_group`.
"""
