import "./style.css";
import { greeting } from "./greeting.js";

const app = document.querySelector("#app");
app.innerHTML = `
  <header>
    <h1 id="greeting"></h1>
    <p class="sub">Litestar + Vite on one port, through <code>litevite-gw</code>. <span id="clock" class="clock"></span></p>
  </header>
  <form id="add">
    <input name="title" placeholder="Something to do" required autocomplete="off">
    <select name="priority"><option>low</option><option selected>normal</option><option>high</option></select>
    <button>Add</button>
  </form>
  <ul id="todos"></ul>
`;

export function renderGreeting(text) {
  document.querySelector("#greeting").textContent = text;
}
renderGreeting(greeting);

async function loadTodos() {
  const res = await fetch("/api/todos", { headers: { Accept: "application/json" } });
  const todos = await res.json();
  const list = document.querySelector("#todos");
  list.innerHTML = "";
  for (const todo of todos) {
    const li = document.createElement("li");
    li.className = `todo ${todo.priority}${todo.done ? " done" : ""}`;
    li.dataset.id = String(todo.id);
    li.textContent = todo.title;
    list.append(li);
  }
}

document.querySelector("#add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  await fetch("/api/todos", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ title: form.get("title"), priority: form.get("priority") }),
  });
  event.target.reset();
  await loadTodos();
});

const clock = new EventSource("/api/clock");
clock.onmessage = (event) => {
  document.querySelector("#clock").textContent = event.data;
};

loadTodos();

if (import.meta.hot) {
  import.meta.hot.accept("./greeting.js", (mod) => {
    if (mod) renderGreeting(mod.greeting);
  });
}
