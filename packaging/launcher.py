"""Entry point of the packaged application (`field-intake`).

The command line decides: no subcommand opens the window (it imports `ui.app` itself, so a
command never pays for loading Qt), any subcommand runs without Qt.
"""

import sys

from intake_app.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
