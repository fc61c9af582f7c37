"""Handlers and routes stay small (fetch, decide, store, emit: the decisions live in domain/) and no module grows
past what a reader takes in at once; issue #19 set the limits."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVICE_SOURCES = sorted(REPO.glob("services/*/src"))
# A handler's or a route's body, below its signature and docstring.
MAX_HANDLER_LINES = 25
MAX_MODULE_LINES = 500
ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "api_route", "websocket"}


def _is_route(function: ast.AsyncFunctionDef | ast.FunctionDef) -> bool:
    return any(
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in ROUTE_DECORATORS
        for decorator in function.decorator_list
    )


def _is_handler_module(path: Path) -> bool:
    return "handlers" in path.parts or path.stem == "handlers"


def _body_lines(function: ast.AsyncFunctionDef | ast.FunctionDef) -> int:
    body = function.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return function.end_lineno - body[0].lineno + 1


def _handlers_and_routes():
    for source in SERVICE_SOURCES:
        for path in sorted(source.rglob("*.py")):
            for node in ast.parse(path.read_text()).body:
                if not isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
                    continue
                if _is_route(node) or (_is_handler_module(path) and not node.name.startswith("_")):
                    yield path.relative_to(REPO), node


def test_every_handler_and_route_fits_in_25_lines():
    too_long = [
        f"{path}:{function.lineno} {function.name}: {_body_lines(function)} lines"
        for path, function in _handlers_and_routes()
        if _body_lines(function) > MAX_HANDLER_LINES
    ]
    assert not too_long, "move the decision into domain/ or a helper:\n" + "\n".join(too_long)


def test_handlers_and_routes_are_found():
    found = {path.parts[1] for path, _ in _handlers_and_routes()}
    assert found == {source.parent.name for source in SERVICE_SOURCES}


def test_no_module_is_longer_than_500_lines():
    python_files = [
        path
        for pattern in ("services/*/src/**/*.py", "services/*/tests/**/*.py", "shared/**/*.py", "stack/**/*.py")
        for path in REPO.glob(pattern)
        if "migrations" not in path.parts
    ] + list(REPO.glob("tests/**/*.py"))
    too_long = [
        f"{path.relative_to(REPO)}: {lines} lines"
        for path in sorted(set(python_files))
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not too_long, "split by what each part is about:\n" + "\n".join(too_long)
