"""Each service's `subscriptions.EMITS` names exactly the event types its code emits.

The event catalogue, the AsyncAPI document and the services' Kafka ACLs are derived from EMITS: an event the code
emits but EMITS leaves out is refused by the broker, one EMITS names but nothing emits is a topic nobody writes.

What a service emits is read from its source: every argument of an `emit(...)` call is followed back to the event
classes constructed for it, through variables, lists appended to, loops, functions' return values (in the service
or orderdesk_shared) and the fields of objects carrying events. An argument the scan cannot follow fails the test
at its line, rather than being left out.
"""

import ast
import builtins
import dataclasses
import importlib
import inspect
import pkgutil
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

from orderdesk_shared.events.base import Fact
from orderdesk_stack.services import SERVICES

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
NESTED_SCOPES = (*FUNCTIONS, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp)
# Where a function's return values are followed: the services' own code and what they share.
FOLLOWED_PACKAGES = {service.package for service in SERVICES} | {"orderdesk_shared"}


@dataclass(frozen=True)
class Scope:
    """Where a name is looked up: a function (then the scopes around it), a comprehension or a module."""

    node: ast.AST
    module: ModuleType
    outer: "Scope | None" = None


@dataclass(frozen=True)
class Instance:
    """An object of a class other than an event; its fields are the arguments it was constructed with."""

    cls: type
    call: ast.Call
    scope: Scope


class Untraceable(Exception):
    def __init__(self, expression: ast.AST, scope: Scope, why: str) -> None:
        path = Path(scope.module.__file__).relative_to(ROOT)
        super().__init__(f"{path}:{expression.lineno}: `{ast.unparse(expression)}`: {why}")


def _own_nodes(node: ast.AST):
    """The nodes of `node`'s body, not those of the functions, classes and comprehensions inside it."""
    for child in ast.iter_child_nodes(node):
        yield child
        if not isinstance(child, NESTED_SCOPES):
            yield from _own_nodes(child)


@cache
def _tree(module: ModuleType) -> ast.Module:
    return ast.parse(Path(module.__file__).read_text())


def _definition(function) -> tuple[ast.AST, Scope]:
    """The def of a module-level function (or a method), with the scope its body runs in."""
    function = inspect.unwrap(function)
    module = sys.modules[function.__module__]
    node: ast.AST = _tree(module)
    for name in function.__qualname__.split("."):
        node = next(n for n in node.body if isinstance(n, (*FUNCTIONS, ast.ClassDef)) and n.name == name)
    return node, Scope(node, module, Scope(_tree(module), module))


def _callee(func: ast.expr, scope: Scope):
    """What a call calls: a class, or a function's def with the scope its body runs in."""
    if isinstance(func, ast.Name):
        for around in _scopes(scope):
            local = [n for n in _own_nodes(around.node) if isinstance(n, FUNCTIONS) and n.name == func.id]
            if local and not isinstance(around.node, ast.Module):
                return local[0], Scope(local[0], around.module, around)
    called = _global(func, scope)
    if isinstance(called, type):
        return called
    if callable(called) and inspect.unwrap(called).__module__.partition(".")[0] in FOLLOWED_PACKAGES:
        return _definition(called)
    raise Untraceable(func, scope, "calls something whose code the scan does not follow")


def _global(expression: ast.expr, scope: Scope):
    """The object a module-level name, or an attribute of one, is bound to."""
    if isinstance(expression, ast.Attribute):
        return getattr(_global(expression.value, scope), expression.attr)
    if isinstance(expression, ast.Name):
        for namespace in (scope.module, builtins):
            if hasattr(namespace, expression.id):
                return getattr(namespace, expression.id)
    raise Untraceable(expression, scope, "is not a module-level name")


def _scopes(scope: Scope | None):
    while scope is not None:
        yield scope
        scope = scope.outer


def _values(expression: ast.expr, scope: Scope) -> set:
    """The events (their classes) and other objects `expression` may be or contain."""
    match expression:
        case ast.Constant():
            return set()
        case ast.List(elts=elements) | ast.Tuple(elts=elements) | ast.Set(elts=elements):
            return {value for element in elements for value in _values(element, scope)}
        case ast.Starred(value=inner) | ast.Await(value=inner):
            return _values(inner, scope)
        case ast.IfExp(body=body, orelse=orelse):
            return _values(body, scope) | _values(orelse, scope)
        case ast.ListComp() | ast.SetComp() | ast.GeneratorExp():
            return _values(expression.elt, Scope(expression, scope.module, scope))
        case ast.Name(id=name):
            return _name_values(expression, name, scope)
        case ast.Attribute(value=owner, attr=field):
            return {value for instance in _values(owner, scope) for value in _field(instance, field, expression, scope)}
        case ast.Call(func=func):
            called = _callee(func, scope)
            if isinstance(called, type):
                return {called} if issubclass(called, Fact) else {Instance(called, expression, scope)}
            definition, body_scope = called
            returns = [n.value for n in _own_nodes(definition) if isinstance(n, ast.Return) and n.value]
            return {value for returned in returns for value in _values(returned, body_scope)}
    raise Untraceable(expression, scope, "is an expression the scan does not follow")


def _field(instance, field: str, expression: ast.expr, scope: Scope) -> set:
    """The values of an object's field: the argument it was constructed with for it."""
    if not (isinstance(instance, Instance) and dataclasses.is_dataclass(instance.cls)):
        raise Untraceable(expression, scope, "reads a field of something other than a dataclass constructed here")
    keywords = {keyword.arg: keyword.value for keyword in instance.call.keywords}
    positions = [f.name for f in dataclasses.fields(instance.cls)][: len(instance.call.args)]
    argument = keywords.get(field) or dict(zip(positions, instance.call.args, strict=True)).get(field)
    return _values(argument, instance.scope) if argument else set()


def _name_values(expression: ast.Name, name: str, scope: Scope) -> set:
    """The values a variable is bound to in the innermost scope that binds it."""
    for around in _scopes(scope):
        if isinstance(around.node, ast.Module):
            value = getattr(around.module, name, None)
            if isinstance(value, Fact):
                return {type(value)}
            break
        bound = [*_bindings(around, name)]
        if bound:
            return {value for expr, where in bound for value in _values(expr, where)}
        parameters = ast.walk(around.node.args) if isinstance(around.node, FUNCTIONS) else ()
        if name in {parameter.arg for parameter in parameters if isinstance(parameter, ast.arg)}:
            raise Untraceable(expression, scope, "is a parameter: the scan does not follow the callers")
    raise Untraceable(expression, scope, "is bound in a way the scan does not follow")


def _bindings(scope: Scope, name: str):
    """The expressions whose values `name` takes in `scope` (what it is assigned, iterates over, is appended)."""
    nodes = scope.node.generators if isinstance(scope.node, COMPREHENSIONS) else _own_nodes(scope.node)
    outer = scope.outer if isinstance(scope.node, COMPREHENSIONS) else scope
    for node in nodes:
        match node:
            case ast.Assign(targets=targets, value=value):
                for target in targets:
                    yield from _unpacked(target, value, name, outer)
            case ast.AnnAssign(target=target, value=value) | ast.NamedExpr(target=target, value=value) if value:
                yield from _unpacked(target, value, name, outer)
            case ast.AugAssign(target=ast.Name(id=target), value=value) if target == name:
                yield value, outer
            case ast.For(target=target, iter=iterated) | ast.AsyncFor(target=target, iter=iterated):
                yield from _iterated(target, iterated, name, outer)
            case ast.comprehension(target=target, iter=iterated):
                yield from _iterated(target, iterated, name, outer)
            case ast.Call(func=ast.Attribute(value=ast.Name(id=owner), attr=method), args=[added]) if owner == name:
                if method in {"append", "add", "extend", "update"}:
                    yield added, outer


def _unpacked(target: ast.expr, value: ast.expr, name: str, scope: Scope):
    if isinstance(target, ast.Name) and target.id == name:
        yield value, scope
    elif isinstance(target, ast.Tuple) and name in {getattr(t, "id", None) for t in target.elts}:
        if not isinstance(value, ast.Tuple):
            raise Untraceable(value, scope, f"is unpacked into {name}, and the scan only follows tuples written out")
        for element, assigned in zip(target.elts, value.elts, strict=True):
            yield from _unpacked(element, assigned, name, scope)


def _iterated(target: ast.expr, iterated: ast.expr, name: str, scope: Scope):
    """What a loop binds `name` to: the items of what it iterates (a list's items are the list's values), or of the
    iterable that `zip` pairs with its place in the target."""
    if isinstance(target, ast.Name) and target.id == name:
        yield iterated, scope
    elif isinstance(target, ast.Tuple) and name in {getattr(t, "id", None) for t in target.elts}:
        is_zip = isinstance(iterated, ast.Call) and isinstance(iterated.func, ast.Name) and iterated.func.id == "zip"
        if not is_zip:
            raise Untraceable(iterated, scope, f"is unpacked into {name}, and the scan only follows zip(...)")
        for element, paired in zip(target.elts, iterated.args, strict=True):
            yield from _iterated(element, paired, name, scope)


def _modules(package: str):
    root = importlib.import_module(package)
    yield root
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        yield importlib.import_module(info.name)


def _emit_calls(node: ast.AST, scope: Scope):
    """Every `….emit(event)` call, with the scope it is made in."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and child.func.attr == "emit":
            yield child.args[0], scope
        inner = Scope(child, scope.module, scope) if isinstance(child, (*FUNCTIONS, ast.Lambda)) else scope
        yield from _emit_calls(child, inner)


def emitted_by(package: str) -> set[type[Fact]]:
    """The event classes the package's code passes to `emit`."""
    emitted = set()
    for module in _modules(package):
        for argument, scope in _emit_calls(_tree(module), Scope(_tree(module), module)):
            for value in _values(argument, scope):
                if not isinstance(value, type):
                    raise Untraceable(argument, scope, f"is a {value.cls.__name__}, not an event")
                emitted.add(value)
    return emitted


def _names(models) -> list[str]:
    return sorted(model.__name__ for model in models)


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_emits_names_what_the_code_emits(service):
    declared = set(importlib.import_module(f"{service.package}.subscriptions").EMITS)
    emitted = emitted_by(service.package)
    assert declared == emitted, (
        f"{service.name}: emitted but not in EMITS: {_names(emitted - declared)};"
        f" in EMITS but never emitted: {_names(declared - emitted)}"
    )
