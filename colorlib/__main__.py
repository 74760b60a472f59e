"""``python -m colorlib``: the ``colorlib`` command (see ``colorlib.commands``)."""
import sys

from colorlib.commands import main

if __name__ == "__main__":
    sys.exit(main())
