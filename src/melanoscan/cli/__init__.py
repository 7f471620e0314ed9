"""The `melanoscan` command. Each subcommand lives in its own module and is imported only when used,
so `classify` and `serve` never import torch (training commands need the `train` extra)."""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "classify": ("melanoscan.cli.classify", "classify image files (or folders) and print the screening result"),
    "serve": ("melanoscan.cli.serve", "start the HTTP service on the embedded defaults"),
    "db": ("melanoscan.cli.db", "database: init/upgrade schema, load the hospital table"),
    "train": ("melanoscan.training.train", "train a model on ISIC 2017 + HAM10000 (needs the train extra)"),
    "cv": ("melanoscan.training.cv", "cross-validate a training recipe: out-of-fold predictions, figures per source"),
    "export": ("melanoscan.training.export", "calibrate and export a trained checkpoint to ONNX + metadata"),
    "evaluate": ("melanoscan.training.evaluate", "evaluate an ONNX model: metrics.json and plots"),
    "model-card": ("melanoscan.training.model_card", "write docs/model-card.md from metrics.json"),
}


def usage() -> str:
    lines = ["usage: melanoscan COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<11} {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "`melanoscan COMMAND --help` shows a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"melanoscan: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(COMMANDS[command][0])
    except ImportError as exc:
        print(
            f"melanoscan {command}: missing dependency ({exc.name}); install with `pip install -e .[train]`",
            file=sys.stderr,
        )
        return 2
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
