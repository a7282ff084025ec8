"""`python -m eval [--check]`: the same as `qa eval`, for checkouts where the `qa` script is not installed."""

import sys

from qa.cli import main

if __name__ == "__main__":
    sys.exit(main(["eval", *sys.argv[1:]]))
