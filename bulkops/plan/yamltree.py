"""YAML text → a tree of plain values that remember where they were written.

PyYAML's constructors forget positions and silently keep the last of two duplicate keys. So we
only *compose* (parse into nodes, which carry marks), then build our own small tree: scalars are
resolved one node at a time by PyYAML's SafeConstructor (YAML 1.1 rules: `no` is false, `0123` is
83), mappings are checked for duplicate keys, and only the plain YAML tags are let through.
Problems go to the Reporter; a node that cannot be used becomes `Broken`, so that the schema
checks skip it instead of reporting it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import yaml
from yaml.constructor import SafeConstructor

from bulkops.plan.problems import START, Loc, Reporter

_YAML: Final = "tag:yaml.org,2002:"
_SCALAR_TAGS: Final = frozenset(
    _YAML + t for t in ("str", "int", "float", "bool", "null", "timestamp")
)
# A plain `=` or `<<` in value position resolves to these; for a plan they are just text.
_TEXT_TAGS: Final = frozenset({_YAML + "value", _YAML + "merge"})
_MERGE: Final = _YAML + "merge"
_MAX_DEPTH: Final = 64
_QUOTES: Final = ("'", '"')


@dataclass(frozen=True, slots=True)
class Scalar:
    value: object  # None, bool, int, float, str, date or datetime, as YAML 1.1 reads it
    text: str  # the characters as written, without quotes
    quoted: bool
    loc: Loc


@dataclass(frozen=True, slots=True)
class Map:
    entries: tuple[tuple[Scalar, Node], ...]
    loc: Loc

    def get(self, name: str) -> Node | None:
        return next((value for key, value in self.entries if key.text == name), None)

    def key(self, name: str) -> Scalar | None:
        return next((key for key, _value in self.entries if key.text == name), None)


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Node, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Broken:
    """A node already reported as unusable."""

    loc: Loc


Node = Scalar | Map | Seq | Broken


def child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def item(path: str, index: int) -> str:
    return f"{path}[{index}]"


def parse(text: str, report: Reporter) -> Node | None:
    """The document's tree, or None after reporting why there is none."""
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as exc:
        _report_syntax(exc, report)
        return None
    except yaml.YAMLError as exc:  # ReaderError: a character YAML does not allow
        _report_reader(exc, text, report)
        return None
    except RecursionError:
        report.add(START, "", "the YAML is nested too deeply to be a plan")
        return None
    if root is None:
        report.add(START, "", "the plan is empty", "start with `version: 1` and `rules:`")
        return None
    return _TreeBuilder(report).build(root, "", 0)


def _compose(text: str) -> yaml.Node | None:
    fast = getattr(yaml, "CSafeLoader", None)  # libyaml: ~7x faster on a 100k-number exclude list
    if fast is not None:
        try:
            return yaml.compose(text, Loader=fast)
        except (yaml.YAMLError, RecursionError):
            pass  # parse again in pure Python, whose error messages say more
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _loc(mark: yaml.Mark | None) -> Loc:
    return Loc(mark.line + 1, mark.column + 1) if mark is not None else START


def _report_syntax(exc: yaml.MarkedYAMLError, report: Reporter) -> None:
    problem = exc.problem or "not valid YAML"
    hint = None
    if "another document" in problem:
        problem, hint = "a second document starts here", "a plan is one YAML document: remove `---`"
    elif "'\\t'" in problem:
        hint = "indent with spaces; YAML does not allow tabs"
    elif exc.context and exc.context_mark is not None:
        hint = f"{exc.context} at line {exc.context_mark.line + 1}"
    report.add(_loc(exc.problem_mark or exc.context_mark), "", f"invalid YAML: {problem}", hint)


def _report_reader(exc: yaml.YAMLError, text: str, report: Reporter) -> None:
    position = getattr(exc, "position", 0)
    before = text[:position]
    loc = Loc(before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1)
    character = getattr(exc, "character", None)
    what = f"character U+{character:04X}" if isinstance(character, int) else "a character"
    report.add(loc, "", f"{what} is not allowed in YAML", "is this a binary file?")


class _TreeBuilder:
    """Builds the tree once per YAML node, so aliases cost nothing and cycles are caught."""

    def __init__(self, report: Reporter) -> None:
        self._report = report
        self._constructor = SafeConstructor()
        self._built: dict[int, Node] = {}
        self._active: set[int] = set()

    def build(self, node: yaml.Node, path: str, depth: int) -> Node:
        loc = _loc(node.start_mark)
        if id(node) in self._built:
            return self._built[id(node)]
        if id(node) in self._active:
            self._report.add(loc, path, "an alias refers to itself", "remove the cycle")
            return Broken(loc)
        if depth > _MAX_DEPTH:
            self._report.add(loc, path, "nested too deeply to be a plan")
            return Broken(loc)
        self._active.add(id(node))
        try:
            built = self._build_new(node, path, depth, loc)
        finally:
            self._active.discard(id(node))
        self._built[id(node)] = built
        return built

    def _build_new(self, node: yaml.Node, path: str, depth: int, loc: Loc) -> Node:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path, loc)
        if isinstance(node, yaml.SequenceNode) and node.tag == _YAML + "seq":
            items = (self.build(sub, item(path, i), depth + 1) for i, sub in enumerate(node.value))
            return Seq(tuple(items), loc)
        if isinstance(node, yaml.MappingNode) and node.tag == _YAML + "map":
            return self._mapping(node, path, depth, loc)
        return self._reject_tag(node, path, loc)

    def _reject_tag(self, node: yaml.Node, path: str, loc: Loc) -> Broken:
        tag = node.tag.replace(_YAML, "!!")
        self._report.add(
            loc,
            path,
            f"YAML tag {tag} is not allowed",
            "a plan holds plain text, numbers and lists",
        )
        return Broken(loc)

    def _scalar(self, node: yaml.ScalarNode, path: str, loc: Loc) -> Scalar | Broken:
        text = str(node.value)
        quoted = node.style in _QUOTES
        if node.tag in _TEXT_TAGS:
            return Scalar(text, text, quoted, loc)
        if node.tag not in _SCALAR_TAGS:
            return self._reject_tag(node, path, loc)
        try:
            value: object = self._constructor.construct_object(node)
        except Exception:
            # PyYAML's constructors raise ValueError, KeyError, AttributeError… on text such as
            # `2026-02-30` or `0b_`. Keep the text: the schema checks say what is wrong with it.
            value = text
        return Scalar(value, text, quoted, loc)

    def _mapping(self, node: yaml.MappingNode, path: str, depth: int, loc: Loc) -> Map:
        entries: dict[str, tuple[Scalar, Node]] = {}
        merged: dict[str, tuple[Scalar, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self._merge(value_node, _loc(key_node.start_mark), path, depth, merged)
                continue
            key = self._key(key_node, path)
            if key is None:
                continue
            if key.text in entries:
                self._duplicate(key, entries[key.text][0], path)
                continue
            entries[key.text] = (key, self.build(value_node, child(path, key.text), depth + 1))
        # Keys written in this mapping override those merged in with `<<: *anchor`.
        combined = {**{k: v for k, v in merged.items() if k not in entries}, **entries}
        return Map(tuple(combined.values()), loc)

    def _key(self, node: yaml.Node, path: str) -> Scalar | None:
        loc = _loc(node.start_mark)
        if not isinstance(node, yaml.ScalarNode):
            self._report.add(loc, path, "a key must be a plain word", "not a list or a mapping")
            return None
        if node.tag not in _SCALAR_TAGS | _TEXT_TAGS:
            self._reject_tag(node, path, loc)
            return None
        return Scalar(str(node.value), str(node.value), node.style in _QUOTES, loc)

    def _duplicate(self, key: Scalar, first: Scalar, path: str) -> None:
        self._report.add(
            key.loc,
            child(path, key.text),
            "duplicate key",
            f"first written at line {first.loc.line}; YAML would silently keep only the last one",
        )

    def _merge(
        self,
        node: yaml.Node,
        loc: Loc,
        path: str,
        depth: int,
        merged: dict[str, tuple[Scalar, Node]],
    ) -> None:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            built = self.build(source, path, depth + 1)
            if isinstance(built, Map):
                # The earlier of several merged mappings wins, as the YAML merge spec says.
                for key, value in built.entries:
                    merged.setdefault(key.text, (key, value))
            elif not isinstance(built, Broken):
                where = child(path, "<<")
                self._report.add(loc, where, "`<<` merges mappings only", "write `<<: *anchor`")
