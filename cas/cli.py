"""The ``cas`` command: one entry point, a sub-command per job.

Each sub-command lives in the package that owns it and exposes ``configure(parser)`` and
``run(args) -> int``; this module only wires them together (imports are lazy so that
``cas --help`` stays fast).
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "simulate": ("cas.simulator.command", "run simulated DLMS/COSEM meters"),
    "read": ("cas.dlms.command", "read one attribute of a meter and print COSEM XML"),
    "serve": ("cas.api.command", "run the CAS web service (SOAP) in front of the meters"),
    "demo": ("cas.demo", "simulated meters + the gateway, with an example request"),
    "receive": ("cas.notify.receive_command", "a subscriber that prints what the gateway sends"),
    "group-read": (
        "cas.access.group_read_command",
        "read an attribute of every meter of a group, with progress, as CSV",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cas", description="COSEM Access Service gateway")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        command_parser.set_defaults(_module=module_name)
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:  # a command whose package is missing must not break the rest
            command_parser.set_defaults(_import_error=exc)
            continue
        module.configure(command_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    error = getattr(args, "_import_error", None)
    if error is not None:
        print(f"cas {args.command}: unavailable ({error})", file=sys.stderr)
        return 2
    module = importlib.import_module(args._module)
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
