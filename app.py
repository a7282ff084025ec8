"""Entry point: `python app.py [--host H] [--port P]` serves the web app of `qa.web.app` (as `qa serve` does)."""

import sys

from qa.web.app import main

if __name__ == "__main__":
    sys.exit(main())
