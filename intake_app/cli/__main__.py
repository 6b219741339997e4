"""`python -m intake_app.cli` runs the command line (tests and frozen builds use it)."""

import sys

from intake_app.cli.main import main

sys.exit(main())
