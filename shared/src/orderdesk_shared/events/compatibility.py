"""Breaking-change detection between two JSON Schemas of the same event type.

Additive changes (a new optional field, a new enum value) are allowed; anything an existing
reader or an old stored event would trip on is breaking and needs a new type version (`.v2`).
"""

import json
from pathlib import Path

from orderdesk_shared.events.base import Fact

Schema = dict


def event_schema(model: type[Fact]) -> Schema:
    """The wire schema of an event (camelCase names, as serialised)."""
    return model.model_json_schema(by_alias=True, mode="serialization")


def snapshot_path(directory: Path, model: type[Fact]) -> Path:
    return directory / f"{model.event_type}.json"


def write_snapshot(directory: Path, model: type[Fact]) -> Path:
    path = snapshot_path(directory, model)
    path.write_text(json.dumps(event_schema(model), indent=2, sort_keys=True) + "\n")
    return path


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Every way `new` breaks what `old` promised, as readable lines (empty when compatible)."""
    return _compare(old, new, old_root=old, new_root=new, path="$")


def _resolve(schema: Schema, root: Schema) -> Schema:
    while "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _options(schema: Schema, root: Schema) -> list[Schema]:
    schema = _resolve(schema, root)
    return [_resolve(option, root) for option in schema["anyOf"]] if "anyOf" in schema else [schema]


def _type_names(schema: Schema, root: Schema) -> set[str]:
    names: set[str] = set()
    for option in _options(schema, root):
        declared = option.get("type", "object" if "properties" in option else "any")
        names.update(declared if isinstance(declared, list) else [declared])
    return names


def _compare(old: Schema, new: Schema, *, old_root: Schema, new_root: Schema, path: str) -> list[str]:
    old_types, new_types = _type_names(old, old_root), _type_names(new, new_root)
    if not old_types <= new_types and "any" not in new_types:
        return [f"{path}: type {sorted(old_types)} became {sorted(new_types)}"]
    problems: list[str] = []
    old_shape = next((o for o in _options(old, old_root) if o.get("type") != "null"), {})
    new_shape = next((o for o in _options(new, new_root) if o.get("type") != "null"), {})
    if "enum" in old_shape:
        removed = set(old_shape["enum"]) - set(new_shape.get("enum", old_shape["enum"]))
        problems += [f"{path}: enum value {value!r} removed" for value in sorted(removed, key=str)]
    old_properties, new_properties = old_shape.get("properties", {}), new_shape.get("properties", {})
    for name, old_property in old_properties.items():
        if name not in new_properties:
            problems.append(f"{path}.{name}: field removed")
        else:
            problems += _compare(
                old_property, new_properties[name], old_root=old_root, new_root=new_root, path=f"{path}.{name}"
            )
    for name in sorted(set(new_shape.get("required", [])) - set(old_shape.get("required", []))):
        problems.append(f"{path}.{name}: field became required")
    if "items" in old_shape and "items" in new_shape:
        problems += _compare(
            old_shape["items"], new_shape["items"], old_root=old_root, new_root=new_root, path=f"{path}[]"
        )
    return problems
