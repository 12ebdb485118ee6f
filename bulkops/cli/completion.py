"""Shell completion scripts for bash, zsh and fish, written from the argparse parser itself.

The parser is the one description of the command line, so a new command or flag completes
without anyone touching this module. Each script finds the subcommand path in the words typed so
far (`runs prune`), then offers that command's subcommands, its flags (after a `-`), the values of
a flag with choices, directories or files for a path, or `latest` for a RUN_ID.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

Values = Literal["none", "word", "file", "dir", "choices"]
SHELLS: Final = ("bash", "zsh", "fish")


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    help: str
    values: Values  # what follows the flag: nothing, a free word, a path, one of `choices`
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]  # () is bulkops itself
    options: tuple[Option, ...]
    subcommands: tuple[tuple[str, str], ...]  # (name, help)
    words: tuple[str, ...]  # what its positional arguments may be: choices, `latest` for RUN_ID
    files: bool  # its positional arguments are paths

    @property
    def key(self) -> str:
        return " ".join(self.path)


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[Command]:
    """Every command reachable from `parser`, parents before children."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    children = [(name, sub) for action in subparsers for name, sub in action.choices.items()]
    helps = {c.dest: c.help or "" for action in subparsers for c in action._choices_actions}
    positionals = [a for a in parser._actions if not a.option_strings and a not in subparsers]
    yield Command(
        path=path,
        options=tuple(_option(a) for a in parser._actions if _shown(a)),
        subcommands=tuple((name, helps.get(name, "")) for name, _ in children),
        words=_words(positionals),
        files=any(a.type is Path for a in positionals),
    )
    for name, sub in children:
        yield from commands(sub, (*path, name))


def _shown(action: argparse.Action) -> bool:
    return bool(action.option_strings) and action.help != argparse.SUPPRESS


def _option(action: argparse.Action) -> Option:
    help_text = (action.help or "").split("(")[0].strip() or action.dest
    if action.nargs == 0:
        return Option(tuple(action.option_strings), help_text, "none")
    if action.choices:
        choices = tuple(str(choice) for choice in action.choices)
        return Option(tuple(action.option_strings), help_text, "choices", choices)
    if action.type is Path:
        kind: Values = "dir" if action.metavar == "DIR" else "file"
        return Option(tuple(action.option_strings), help_text, kind)
    return Option(tuple(action.option_strings), help_text, "word")


def _words(positionals: list[argparse.Action]) -> tuple[str, ...]:
    words: list[str] = []
    for action in positionals:
        if action.metavar == "RUN_ID":
            words.append("latest")
        words.extend(str(choice) for choice in action.choices or ())
    return tuple(words)


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    writers: dict[str, Callable[[list[Command]], str]] = {"bash": bash, "zsh": zsh, "fish": fish}
    return writers[shell](list(commands(parser)))


# --- bash ------------------------------------------------------------------------------------


def bash(tree: list[Command]) -> str:
    return "\n".join(
        [
            "# bulkops completion for bash. Load it with: source <(bulkops completion bash)",
            "_bulkops() {",
            '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
            '    local path_="" word i opts="" subs="" operands="" files=0',
            "    for ((i = 1; i < COMP_CWORD; i++)); do",
            '        word="${COMP_WORDS[i]}"',
            '        case "$path_:$word" in',
            f'            {_bash_steps(tree)}) path_="${{path_:+$path_ }}$word" ;;',
            "        esac",
            "    done",
            '    case "$path_:$prev" in',
            *_bash_values(tree),
            "    esac",
            '    case "$path_" in',
            *(
                f'        "{c.key}") opts="{_flags(c)}"; subs="{_names(c)}"; '
                f'operands="{" ".join(c.words)}"; files={int(c.files)} ;;'
                for c in tree
            ),
            "    esac",
            '    if [[ "$cur" == -* ]]; then',
            '        COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
            '    elif [[ -n "$subs" ]]; then',
            '        COMPREPLY=($(compgen -W "$subs" -- "$cur"))',
            '    elif [[ -n "$operands" ]]; then',
            '        COMPREPLY=($(compgen -W "$operands" -- "$cur"))',
            "    elif ((files)); then",
            '        COMPREPLY=($(compgen -f -- "$cur"))',
            "    fi",
            "}",
            "complete -o filenames -F _bulkops bulkops",
            "",
        ]
    )


def _bash_steps(tree: list[Command]) -> str:
    """The case patterns `parent:child` that take the path one command deeper."""
    return "|".join(f'"{" ".join(c.path[:-1])}:{c.path[-1]}"' for c in tree if c.path)


def _bash_values(tree: list[Command]) -> Iterator[str]:
    return _value_cases(
        tree,
        lambda option: {
            "choices": f'COMPREPLY=($(compgen -W "{" ".join(option.choices)}" -- "$cur"))',
            "file": 'COMPREPLY=($(compgen -f -- "$cur"))',
            "dir": 'COMPREPLY=($(compgen -d -- "$cur"))',
            "word": "COMPREPLY=()",
        }.get(option.values),
        "        {patterns}) {reply}; return ;;",
    )


def _value_cases(
    tree: list[Command], reply_for: Callable[[Option], str | None], case: str
) -> Iterator[str]:
    """One `case` line (bash and zsh share its shape) per option whose value can be completed."""
    for command in tree:
        for option in command.options:
            reply = reply_for(option)
            if reply is None:
                continue
            patterns = "|".join(f'"{command.key}:{flag}"' for flag in option.flags)
            yield case.format(patterns=patterns, reply=reply)


def _flags(command: Command) -> str:
    return " ".join(flag for option in command.options for flag in option.flags)


def _names(command: Command) -> str:
    return " ".join(name for name, _ in command.subcommands)


# --- zsh -------------------------------------------------------------------------------------


def zsh(tree: list[Command]) -> str:
    # `path` is special in zsh (it is $PATH as an array): the script says path_.
    return "\n".join(
        [
            "#compdef bulkops",
            "# bulkops completion for zsh. Load it with: source <(bulkops completion zsh)",
            "# (after compinit), or save it as _bulkops in a directory of $fpath.",
            "_bulkops() {",
            '    local path_="" word prev="${words[CURRENT-1]}" cur="${words[CURRENT]}"',
            '    local operands="" files=0',
            "    local -a opts subs",
            "    local -i i",
            "    for (( i = 2; i < CURRENT; i++ )); do",
            '        word="${words[i]}"',
            '        case "$path_:$word" in',
            f'            ({_bash_steps(tree)}) path_="${{path_:+$path_ }}$word" ;;',
            "        esac",
            "    done",
            '    case "$path_:$prev" in',
            *_zsh_values(tree),
            "    esac",
            '    case "$path_" in',
            *_zsh_commands(tree),
            "    esac",
            '    if [[ "$cur" == -* ]]; then',
            "        _describe -t options 'option' opts",
            "    elif (( ${#subs} )); then",
            "        _describe -t commands 'bulkops command' subs",
            '    elif [[ -n "$operands" ]]; then',
            "        compadd -- ${=operands}",
            "    elif (( files )); then",
            "        _files",
            "    fi",
            "}",
            'if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then',
            '    _bulkops "$@"',
            "else",
            "    compdef _bulkops bulkops",
            "fi",
            "",
        ]
    )


def _zsh_values(tree: list[Command]) -> Iterator[str]:
    return _value_cases(
        tree,
        lambda option: {
            "choices": f"compadd -- {' '.join(option.choices)}",
            "file": "_files",
            "dir": "_files -/",
            "word": ":",
        }.get(option.values),
        "        ({patterns}) {reply}; return ;;",
    )


def _zsh_commands(tree: list[Command]) -> Iterator[str]:
    for command in tree:
        opts = " ".join(
            _zsh_quote(f"{flag}:{option.help}")
            for option in command.options
            for flag in option.flags
        )
        subs = " ".join(_zsh_quote(f"{name}:{text}") for name, text in command.subcommands)
        yield (
            f'        ("{command.key}") opts=({opts}); subs=({subs}); '
            f'operands="{" ".join(command.words)}"; files={int(command.files)} ;;'
        )


def _zsh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


# --- fish ------------------------------------------------------------------------------------


def fish(tree: list[Command]) -> str:
    lines = [
        "# bulkops completion for fish. Load it with: bulkops completion fish | source",
        "complete -c bulkops -f",
    ]
    for command in tree:
        condition = _fish_condition(command)
        for name, text in command.subcommands:
            lines.append(f"complete -c bulkops -n {condition} -a {name} -d {_fish_quote(text)}")
        for option in command.options:
            lines.append(f"complete -c bulkops -n {condition} {_fish_option(option)}")
        if command.words:
            lines.append(
                f"complete -c bulkops -n {condition} -a {_fish_quote(' '.join(command.words))}"
            )
        elif command.files:
            lines.append(f"complete -c bulkops -n {condition} -F")
    return "\n".join([*lines, ""])


def _fish_condition(command: Command) -> str:
    if not command.path:
        return "__fish_use_subcommand"
    test = f"__fish_seen_subcommand_from {command.path[-1]}"
    deeper = " ".join(name for name, _ in command.subcommands)
    if deeper:
        test += f"; and not __fish_seen_subcommand_from {deeper}"
    return _fish_quote(test)


def _fish_option(option: Option) -> str:
    words = []
    for flag in option.flags:
        words.append(f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}")
    words.append(
        {
            "none": "",
            "word": "-x",
            "file": "-r -F",
            "dir": "-x -a '(__fish_complete_directories)'",
            "choices": f"-x -a {_fish_quote(' '.join(option.choices))}",
        }[option.values]
    )
    words.append(f"-d {_fish_quote(option.help)}")
    return " ".join(word for word in words if word)


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
