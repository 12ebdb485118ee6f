"""docs/plan-format.md, generated from the plan schema and from what pushdown does with it.

Every key, its kind, default, examples and description come from `plan.schema`; defaults are read
off the model a minimal plan loads into; which conditions reach Plivo's list filters is found by
running `selection.query.pushdown` on each select example. Nothing here restates either source,
and nothing depends on the day it runs (relative dates resolve against a fixed day).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from bulkops.plan import Plan, load_plan_text, schema
from bulkops.plan.templates import TEMPLATE_FIELDS
from bulkops.selection.query import pushdown

SCHEMA_FILE: Final = "plan.schema.json"
REGENERATE: Final = "python -m bulkops schema --docs docs"
# Relative dates in the pushdown examples resolve as if the plan ran on this day.
EXAMPLE_DAY: Final = date(2025, 1, 1)
_MINIMAL: Final = """\
version: 1
rules:
  - name: r
    select: {numbers: ["14155550100"]}
    unrent: true
"""


@dataclass(frozen=True, slots=True)
class Place:
    """A section of the format, where it sits in a plan, and the model object it loads into."""

    path: str
    section: schema.Section
    model: object


def plan_format_markdown() -> str:
    """The whole of docs/plan-format.md."""
    places = list(_places(schema.PLAN, "", load_plan_text(_MINIMAL, "<minimal>")))
    parts = [_intro(places), *(_section(place) for place in places), _templates(), _pushdown()]
    return "\n".join(parts)


def _places(section: schema.Section, path: str, model: object) -> Iterator[Place]:
    """Every section, depth first, with the part of the minimal plan's model it fills.

    The model only says which dataclass a section loads into (defaults come from its fields).
    """
    yield Place(path, section, model)
    for key in section.keys:
        inner = getattr(model, key.target, None)
        where = f"{path}.{key.name}" if path else key.name
        if isinstance(key.value, schema.Section):
            yield from _places(key.value, where, inner)
        elif isinstance(key.value, schema.ListOf):
            first = inner[0] if isinstance(inner, tuple) and inner else None
            yield from _places(key.value.section, f"{where}[]", first)


def _title(place: Place) -> str:
    return f"`{place.path}`" if place.path else "the top level"


def _anchor(place: Place) -> str:
    return _anchor_of(place.path)


def _anchor_of(path: str) -> str:
    return "".join(ch for ch in path.lower() if ch.isalnum() or ch in "-_") or "top-level"


def _intro(places: list[Place]) -> str:
    index = "\n".join(f"- [{_title(place)}](#{_anchor(place)})" for place in places)
    return f"""\
<!-- Generated from bulkops/plan/schema.py by `{REGENERATE}`: do not edit by hand. -->
# The plan format

A plan is a YAML file: which numbers (`select`) and what to make of them (`update` or `unrent`),
rule by rule. `bulkops validate PLAN` reports every problem at once, each with file:line:column.
This page and [`{SCHEMA_FILE}`]({SCHEMA_FILE}) (a JSON Schema) are generated from the one
description of the format, `bulkops/plan/schema.py`, and a test fails when they are out of date.
Regenerate both with:

```sh
{REGENERATE}
```

## In an editor

In an editor using yaml-language-server (Red Hat's YAML extension for VS Code, and the editors
that run the same server), make this the first line of a plan, with the path from the plan to
the schema file (or its URL):

```yaml
# yaml-language-server: $schema=../docs/{SCHEMA_FILE}
```

Keys then complete and most mistakes show as you type. The schema cannot see everything:
`bulkops validate` stays the judge (rule names used twice, a number both selected and excluded,
YAML 1.1 reading `no` as false or `0123` as 83).

## Sections

A default of — means that without the key there is no such condition, or no such change.

{index}
"""


def _section(place: Place) -> str:
    rows = "\n".join(
        "| "
        + " | ".join(
            (
                f"`{key.name}`",
                _cell(_takes(key, place)),
                _cell(_default(key, place.model)),
                _cell(", ".join(f"`{example}`" for example in key.examples)),
                _cell(key.doc),
            )
        )
        + " |"
        for key in place.section.keys
    )
    notes = []
    if place.section.free_prefix:
        notes.append(f"Keys starting with `{place.section.free_prefix}` are yours (YAML anchors).")
    if place.section is schema.RULE:
        notes.append("A rule has exactly one action: " + " or ".join(schema.ACTIONS) + ".")
    body = "\n\n".join(
        [
            "| key | takes | default | examples | meaning |\n| --- | --- | --- | --- | --- |\n"
            + rows,
            *notes,
        ]
    )
    return f'<a id="{_anchor(place)}"></a>\n### {_title(place)}\n\n{body}\n'


def _takes(key: schema.Key, place: Place) -> str:
    """What the key takes; a section is a link to its own table."""
    where = f"{place.path}.{key.name}" if place.path else key.name
    if isinstance(key.value, schema.Section):
        return f"a mapping: see [`{where}`](#{_anchor_of(where)})"
    if isinstance(key.value, schema.ListOf):
        unique = f", each with its own `{key.value.unique}`" if key.value.unique else ""
        return f"a list of mappings{unique}: see [`{where}[]`](#{_anchor_of(where + '[]')})"
    return kind_text(key.value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(key: schema.Key, model: object) -> str:
    """What holds when the key is absent, read off the model of the minimal plan."""
    if key.required:
        return "required"
    if isinstance(key.value, schema.LimitValue):
        spec = key.value.spec
        return "no limit" if spec.default is None else f"`{spec.default:g}`"
    if isinstance(key.value, schema.Section | schema.ListOf):
        return "—"  # its own table gives the defaults of its keys
    value = _field_default(model, key.target)
    if value is None or value in ((), frozenset()):
        return "—"
    return f"`{_written(key.value, value)}`"


def _field_default(model: object, name: str) -> object:
    """The default the model's dataclass declares for `name` (None if it has none)."""
    if not dataclasses.is_dataclass(model):
        return None
    for field in dataclasses.fields(model):
        if field.name == name:
            if field.default is not dataclasses.MISSING:
                return field.default
            if field.default_factory is not dataclasses.MISSING:
                return field.default_factory()
    return None


def _written(kind: schema.Kind, value: Any) -> str:
    if isinstance(kind, schema.Days):
        return f"{value}d"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def kind_text(kind: schema.Kind) -> str:
    """What a kind of value takes, for a person."""
    if isinstance(kind, schema.Text):
        return "text, with `{field}` templates" if kind.template else "text"
    if isinstance(kind, schema.Word):
        return f"{kind.what}: {kind.shape}"
    if isinstance(kind, schema.Ident):
        return _ident_text(kind)
    if isinstance(kind, schema.Digits):
        return f"quoted digits, at most {kind.max_length}"
    if isinstance(kind, schema.Choice):
        values = ", ".join(f"`{value}`" for value in kind.values)
        return f"{'one or a list of' if kind.many else 'one of'} {values} (any letter case)"
    if isinstance(kind, schema.PhoneNumbers):
        return "quoted phone numbers (8-15 digits, no `+`): a list, or one"
    if isinstance(kind, schema.Dates):
        ops = ", ".join(kind.ops)
        return f'a date (`YYYY-MM-DD`, or `"+7d"` / `"-30d"` from today), or {{op: date}} ({ops})'
    return _other_text(kind)


def _ident_text(kind: schema.Ident) -> str:
    text = f"quoted {kind.what} ({kind.shape})"
    if kind.none is not None:
        text += f"; `none` {kind.none_means}"
    if kind.refuse_none:
        text += f"; no `none`: {kind.refuse_none}"
    return text


def _other_text(kind: schema.Kind) -> str:
    if isinstance(kind, schema.Url):
        return "an http(s) URL"
    if isinstance(kind, schema.LimitValue):
        return kind.spec.expected
    if isinstance(kind, schema.Days):
        why = f" ({kind.why})" if kind.why else ""
        return f"days, `{kind.minimum}d` to `{kind.maximum}d`{why}"
    if isinstance(kind, schema.UsagePeriod):
        return f"{_other_text(kind.days)}, or {{period: …, services: …}}"
    if isinstance(kind, schema.Boolean):
        return "`true` or `false`"
    if isinstance(kind, schema.Flag):
        return f"`true`: {kind.meaning}"
    if isinstance(kind, schema.Version):
        return "one of " + ", ".join(f"`{v}`" for v in kind.supported)
    if isinstance(kind, schema.ListOf):
        return f"a list of {kind.section.name} mappings"
    assert isinstance(kind, schema.Section)
    return f"a {kind.name} mapping"


def _templates() -> str:
    fields = ", ".join(f"`{{{name}}}`" for name in sorted(TEMPLATE_FIELDS))
    return f"""\
## Templates

A value taking `{{field}}` templates is filled in per number from the number as Plivo shows it:
{fields}. A field with no value reads as empty text; `{{{{` writes a literal `{{`.
"""


def _pushdown() -> str:
    rows = "\n".join(
        f"| `{key.name}: {example}` | {_cell(_filters(key, example))} |"
        for key in schema.SELECT.keys
        for example in key.examples
    )
    return f"""\
## What Plivo filters, and what bulkops tests itself

Listing numbers with Plivo's list filters transfers fewer of them. Each condition below is shown
with the filters bulkops sends for it (found by running the pushdown on the example; relative
dates as if the plan ran on {EXAMPLE_DAY.isoformat()}). Every condition, sent or not, is tested
again on every listed number, so a filter the server ignored never selects a wrong number.

| condition | list filters sent |
| --- | --- |
{rows}
"""


def _filters(key: schema.Key, example: str) -> str:
    plan = _with_condition(key.name, example)
    params = pushdown(plan.rules[0].select, EXAMPLE_DAY).params
    if not params:
        return "none: bulkops tests it on every listed number"
    return ", ".join(f"`{name}={value}`" for name, value in params)


def _with_condition(name: str, example: str) -> Plan:
    rule = f'  - name: r\n    select: {{{name}: {example}}}\n    update: {{alias: "x"}}\n'
    text = f"version: 1\nrules:\n{rule}"
    return load_plan_text(text, f"<example of select.{name}>")
