"""The command line: same services as the GUI, no Qt."""
