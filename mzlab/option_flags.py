"""Command-line flags generated from a frozen options dataclass: a field's name, default and help live in one place.

A field declared with :func:`option` becomes the flag ``--<name-with-dashes>``; its annotation decides the rest::

    bool                  -> store_true (the default must be False)
    int | None, int       -> type=int            str -> a plain string
    tuple[int, ...]       -> nargs="+", type=int (the parsed list becomes a tuple; None stays None)

``{default}`` in the help text is replaced by the field's default. Fields declared without :func:`option` get no
flag and keep their default. Nothing heavy is imported here: the parser of ``mzlab`` is built from these.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from dataclasses import dataclass

__all__ = ["Flag", "option", "flag_fields", "flag_name", "add_flags", "from_namespace"]

FLAG = "mzlab.flag"
"""Key of the :class:`Flag` in a field's metadata."""


@dataclass(frozen=True)
class Flag:
    help: str
    metavar: str | None = None
    choices: tuple | None = None


def option(default, help: str, *, metavar: str | None = None, choices: tuple | None = None):
    """A dataclass field with ``default`` that is also a command-line flag."""
    return dataclasses.field(default=default, metadata={FLAG: Flag(help, metavar, choices)})


def flag_name(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def flag_fields(options_class: type) -> list[dataclasses.Field]:
    """The fields of ``options_class`` that are flags, in declaration order."""
    return [field for field in dataclasses.fields(options_class) if FLAG in field.metadata]


def _argument_kind(annotation) -> tuple[type, bool]:
    """``(element type, is a tuple)`` of an annotation such as ``int``, ``int | None``, ``tuple[str, ...]``."""
    arguments = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return _argument_kind(next(a for a in arguments if a is not type(None)))
    if typing.get_origin(annotation) is tuple:
        return arguments[0], True
    return annotation, False


def add_flags(parser, options_class: type) -> None:
    """Add one argument per flag field of ``options_class`` to ``parser`` (or an argument group)."""
    hints = typing.get_type_hints(options_class)
    for field in flag_fields(options_class):
        flag: Flag = field.metadata[FLAG]
        kind, is_tuple = _argument_kind(hints[field.name])
        help_text = flag.help.replace("{default}", str(field.default))
        if kind is bool:
            if field.default is not False:
                raise TypeError(f"{options_class.__name__}.{field.name}: a bool flag must default to False")
            parser.add_argument(flag_name(field.name), action="store_true", help=help_text)
            continue
        keywords: dict = {"help": help_text}
        if kind is not str:
            keywords["type"] = kind
        if is_tuple:
            keywords["nargs"] = "+"
        if field.default is not None:
            keywords["default"] = list(field.default) if is_tuple else field.default
        if flag.metavar is not None:
            keywords["metavar"] = flag.metavar
        if flag.choices is not None:
            keywords["choices"] = flag.choices
        parser.add_argument(flag_name(field.name), **keywords)


def from_namespace(options_class: type, args: argparse.Namespace):
    """An ``options_class`` from the parsed flags (lists become tuples; fields without a flag keep defaults)."""
    values = {}
    for field in flag_fields(options_class):
        value = getattr(args, field.name)
        values[field.name] = tuple(value) if isinstance(value, list) else value
    return options_class(**values)
