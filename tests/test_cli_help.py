"""Every option of every `edgekd` command says what it does in --help."""
from __future__ import annotations

import argparse

import pytest

from edgekd.cli import COMMANDS, build_parser

# Options whose definitions live in modules other people maintain; listed so that a new option without
# help anywhere else still fails here. Remove an entry once the help text is there.
KNOWN_WITHOUT_HELP = {"demo": {"--temperature", "--alpha", "--seed"}}


def _subparsers(p: argparse.ArgumentParser):
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction):
            yield from a.choices.items()


def _options_without_help(p: argparse.ArgumentParser, prefix: str = "") -> set[str]:
    missing = set()
    for a in p._actions:
        if isinstance(a, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)):
            continue
        if not a.help or a.help == argparse.SUPPRESS and a.option_strings:
            missing.add(prefix + (max(a.option_strings, key=len) if a.option_strings else a.dest))
    for name, sp in _subparsers(p):
        missing |= _options_without_help(sp, prefix=f"{name} ")
    return missing


def test_every_command_is_registered():
    _, mods = build_parser()
    assert set(mods) == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_has_help(command):
    parser, _ = build_parser()
    sub = dict(_subparsers(parser))[command]
    missing = _options_without_help(sub) - KNOWN_WITHOUT_HELP.get(command, set())
    assert not missing, f"edgekd {command}: options without help: {sorted(missing)}"
