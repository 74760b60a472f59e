"""The ``colorlib`` command (console script; also ``python -m colorlib``): one parser listing the subcommands.

    colorlib --version
    colorlib colorize photo.jpg clip.mp4 --style painting.jpg --out coloured/
    colorlib export --onnx --out exported/
    colorlib report --profile smoke
    colorlib data prepare
    colorlib train --config run.yaml

Each subcommand hands the rest of the line to the module that owns it, so ``colorlib NAME --help`` is that
module's own help. Before any of them imports torch, ``main`` sets the environment that torch's OpenMP runtime
reads once, at load time (``ENTRY_ENV``); the library itself never changes ``os.environ``.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from importlib import metadata
from typing import Sequence

# Passive OpenMP waiting: threads that spin while waiting make torch 5-10x slower whenever another process
# shares the CPU (2857 ms vs 312 ms per training step on a 2-core machine); it costs little on an idle CPU.
# Only effective before torch is loaded, hence here and not in the library. A value already set is kept.
ENTRY_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}

# name: (module, function taking argv and returning the exit status, one line of help)
COMMANDS = {
    "colorize": ("colorlib.cli", "colorize", "colour photos, folders and videos in a painting's style"),
    "export": ("colorlib.export", "main", "write the colouriser and the style encoder as ONNX graphs"),
    "report": ("colorlib.report", "main", "run the notebooks: figures/ and report/claims.md"),
    "data": ("colorlib.data", "main", "prepare the embedded training data"),
    "train": ("colorlib.train", "main", "train one model from a YAML config"),
}


def version() -> str:
    """The installed distribution's version; in a checkout that is not installed, the package's own."""
    try:
        return metadata.version("colorlib")
    except metadata.PackageNotFoundError:
        from colorlib import __version__

        return __version__


def set_entry_environment() -> None:
    """``ENTRY_ENV`` defaults for this process and the ones it starts (notebook kernels, DDP ranks)."""
    for name, value in ENTRY_ENV.items():
        os.environ.setdefault(name, value)


def _show_library_log() -> None:
    """colorlib's own INFO lines on stderr as plain messages (other packages' loggers are left as they are)."""
    logger = logging.getLogger("colorlib")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="colorlib", description="Style-guided colourisation.",
                                     epilog="colorlib COMMAND --help: the options of one command")
    parser.add_argument("--version", action="version", version=f"colorlib {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, _, text) in COMMANDS.items():
        sub.add_parser(name, help=text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``colorlib COMMAND ARGS...``; returns the exit status (2 for a usage error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        try:  # --help, --version, or an error that lists the commands
            _parser().parse_args(argv[:1])
        except SystemExit as done:
            return int(done.code or 0)
    set_entry_environment()
    _show_library_log()
    module, function, _ = COMMANDS[argv[0]]
    try:
        return int(getattr(importlib.import_module(module), function)(argv[1:]) or 0)
    except SystemExit as done:  # argparse inside the command: --help (0) or a usage error (2)
        return done.code if isinstance(done.code, int) else 1
