"""Reusable widgets: no screen logic."""
