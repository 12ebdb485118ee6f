"""Value templates such as `alias: "IVR {number}"`, rendered per number.

Only plain `{field}` references to NumberRecord fields are allowed: no attribute access, indexing
or format specs, so a plan cannot reach into Python objects through str.format.
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Callable
from typing import Final

from bulkops.numbers import NumberRecord

TEMPLATE_FIELDS: Final = frozenset(f.name for f in dataclasses.fields(NumberRecord))
_FORMATTER: Final = string.Formatter()


class TemplateError(ValueError):
    """A template that is malformed or names a field that does not exist."""


def referenced_fields(template: str) -> list[str]:
    """The field names `template` uses, in order; raise TemplateError if it is malformed."""
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise TemplateError(f"malformed template {template!r}: {exc}") from None
    names: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            raise TemplateError(
                f"template {template!r}: use plain {{field}} references, got {{{name}}}"
            )
        if name not in TEMPLATE_FIELDS:
            allowed = ", ".join(sorted(TEMPLATE_FIELDS))
            raise TemplateError(f"unknown template field {{{name}}}; allowed: {allowed}")
        names.append(name)
    return names


def compile_template(template: str) -> Callable[[NumberRecord], str] | None:
    """A function filling `template` from a record, parsed once; None if it has no references.

    A field with no value renders as empty text, never as "None".
    """
    names = referenced_fields(template)
    if not names:
        return None

    def render(record: NumberRecord) -> str:
        values = {name: getattr(record, name) for name in names}
        return template.format_map({k: "" if v is None else v for k, v in values.items()})

    return render
