"""`python -m intake_app` runs the command line, exactly as `intake-app` does."""

import sys

from intake_app.cli.main import main

sys.exit(main())
