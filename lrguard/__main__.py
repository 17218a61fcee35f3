"""``python -m lrguard``: the ``lrguard`` command line."""

import sys

from lrguard.cli import main

if __name__ == "__main__":
    sys.exit(main())
