"""``python -m colorlib``: the command line (see ``colorlib.cli``)."""
import sys

import colorlib  # noqa: F401  (torchvision compatibility step first)
from colorlib.cli import main

if __name__ == "__main__":
    sys.exit(main())
