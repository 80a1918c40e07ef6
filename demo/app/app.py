"""The bundled demo: a small Litestar app behind litevite-gw.

The page it serves loads Vite's client and the entry module from /static/ (Vite's
base), through the gateway's one port. Handler names become OpenAPI operationIds
(see `operation_id`), so the generated routes.ts uses the same names as
`app.route_reverse()`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from enum import Enum

from litestar import Litestar, get, post
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.response import ServerSentEvent

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>litevite demo</title>
  <script type="module" src="/static/@vite/client"></script>
  <script type="module" src="/static/src/main.js"></script>
</head>
<body>
  <div id="app"><p class="loading">Loading…</p></div>
</body>
</html>
"""


class Priority(str, Enum):
    low = "low"
    normal = "normal"
    high = "high"


@dataclass
class Todo:
    id: int
    title: str
    priority: Priority = Priority.normal
    done: bool = False


@dataclass
class TodoCreate:
    title: str
    priority: Priority = Priority.normal


TODOS: dict[int, Todo] = {
    1: Todo(1, "Start the gateway with one command", Priority.high, True),
    2: Todo(2, "Edit demo/web/src/greeting.js and watch it update", Priority.normal),
    3: Todo(3, "Add a route to the app and see routes.ts follow", Priority.low),
}


@get("/", name="home", media_type="text/html")
async def home() -> str:
    return PAGE


@get("/api/todos", name="todos:list")
async def list_todos(done: bool | None = None, priority: Priority | None = None) -> list[Todo]:
    items = TODOS.values()
    if done is not None:
        items = [t for t in items if t.done == done]
    if priority is not None:
        items = [t for t in items if t.priority == priority]
    return list(items)


@get("/api/todos/{todo_id:int}", name="todos:detail")
async def get_todo(todo_id: int) -> Todo:
    if todo_id not in TODOS:
        raise NotFoundException(f"no todo {todo_id}")
    return TODOS[todo_id]


@post("/api/todos", name="todos:create")
async def create_todo(data: TodoCreate) -> Todo:
    todo = Todo(max(TODOS, default=0) + 1, data.title, data.priority)
    TODOS[todo.id] = todo
    return todo


@get("/api/hello/{name:str}", name="hello")
async def hello(name: str, excited: bool = False) -> dict[str, str]:
    return {"message": f"Hello, {name}{'!' if excited else '.'}"}


@get("/api/clock", name="clock")
async def clock() -> ServerSentEvent:
    async def ticks():
        while True:
            yield dt.datetime.now().strftime("%H:%M:%S")
            await asyncio.sleep(1)

    return ServerSentEvent(ticks())


def operation_id(route_handler, http_method, path_components) -> str:
    """operationId = the handler's `name=` (the recipe in docs/codegen.md); handlers
    serving several methods get `_<method>` appended, since operationIds are unique."""
    name = route_handler.name or route_handler.handler_name
    if len(route_handler.http_methods) > 1:
        return f"{name}_{http_method.lower()}"
    return name


app = Litestar(
    route_handlers=[home, list_todos, get_todo, create_todo, hello, clock],
    openapi_config=OpenAPIConfig(title="litevite demo", version="1.0.0", operation_id_creator=operation_id),
)
