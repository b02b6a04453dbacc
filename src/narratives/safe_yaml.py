"""The one YAML reader: safe tags only, and no alias bombs or self-referencing documents.

PyYAML's ``safe_load`` already refuses ``!!python/object`` tags, but it builds a document
whose aliases point back at earlier nodes. Nine anchors of nine aliases each make a file
of a few hundred bytes that stands for 9⁹ values; whatever walks the result (validation,
``str``, JSON) then runs without bound. Here the node graph is measured before anything
is built: more than :data:`MAX_VALUES` values, counted through the aliases, or a node
that contains itself, is refused with a :class:`UnsafeYamlError` (a ``yaml.YAMLError``, so
every caller's existing handler names the file).
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["MAX_VALUES", "UnsafeYamlError", "load_yaml"]

MAX_VALUES = 1_000_000
"""Far above any codebook, config or manifest (the demo codebook has about 300 values)."""


class UnsafeYamlError(yaml.YAMLError):
    """The document expands without bound through its aliases, or refers to itself."""


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check(root: yaml.Node) -> None:
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            if size[key] > MAX_VALUES:
                raise UnsafeYamlError(
                    f"the document stands for more than {MAX_VALUES:,} values through its aliases "
                    "(&anchor / *alias), which looks like an alias bomb; write the values out instead"
                )
            continue
        if key in size:
            continue
        if key in on_path:
            mark = node.start_mark
            raise UnsafeYamlError(f"line {mark.line + 1}: an alias refers to a value that contains it; remove the loop")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, refusing alias bombs and self-references first.

    Raises:
        yaml.YAMLError: invalid YAML, or :class:`UnsafeYamlError`.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()
