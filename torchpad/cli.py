"""The `torchpad` command: a thin dispatcher; each subcommand lives with the code it drives."""

from __future__ import annotations

import sys
from importlib import import_module

# subcommand -> (module, function, one-line help). Imported lazily so `torchpad run`
# works with only NumPy installed and `serve` does not import torch until it must.
COMMANDS = {
    "run": ("torchpad.scriptrun", "main", "run a PyTorch script on the kernel or on real PyTorch"),
    "serve": ("torchpad.server.cli", "serve_main", "serve the playground and the job API"),
    "submit": ("torchpad.server.client", "main", "submit a script to a TorchPad server and stream it"),
    "mirror-pyodide": ("torchpad.server.pyodide_mirror", "main", "fetch Pyodide's NumPy into a folder to serve offline"),
}


def _usage() -> str:
    lines = ["usage: torchpad COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<15} {help_}" for name, (_, _, help_) in COMMANDS.items()]
    lines += ["", "`torchpad COMMAND --help` explains each one."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"torchpad: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module, func, _ = COMMANDS[name]
    return int(getattr(import_module(module), func)(rest) or 0)
