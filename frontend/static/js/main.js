// The single-page app: hash routes, the top bar, focus and title handling on every page change.

import { setUnauthorizedHandler } from "./api.js";
import { announce, clearMessages, h, notify, replace } from "./dom.js";
import { session } from "./session.js";
import * as auditView from "./views/audit.js";
import * as clauseView from "./views/clause.js";
import * as compareView from "./views/compare.js";
import * as dashboardView from "./views/dashboard.js";
import * as loginView from "./views/login.js";
import * as practiceView from "./views/practice.js";
import * as workspaceView from "./views/workspace.js";
import * as workspacesView from "./views/workspaces.js";

const NEXT_KEY = "qmsgap.next";

const ROUTES = [
  { pattern: /^\/login$/, view: loginView, public: true },
  { pattern: /^\/?$/, view: workspacesView },
  { pattern: /^\/new$/, view: workspacesView, names: [], mode: "new" },
  { pattern: /^\/w\/([0-9a-f]{32})$/, view: workspaceView, names: ["workspace"] },
  { pattern: /^\/w\/([0-9a-f]{32})\/dashboard$/, view: dashboardView, names: ["workspace"] },
  { pattern: /^\/w\/([0-9a-f]{32})\/clause\/([^/]+)$/, view: clauseView, names: ["workspace", "clause"] },
  { pattern: /^\/w\/([0-9a-f]{32})\/practice\/([^/]+)$/, view: practiceView, names: ["workspace", "practice"] },
  { pattern: /^\/w\/([0-9a-f]{32})\/compare$/, view: compareView, names: ["workspace"] },
  { pattern: /^\/w\/([0-9a-f]{32})\/audit$/, view: auditView, names: ["workspace"] },
];

export function navigate(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function parseHash() {
  const raw = window.location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  return { path, query: Object.fromEntries(new URLSearchParams(search)) };
}

let current = null; // {cleanups: [], active: bool}

function renderTopbar() {
  const nav = document.getElementById("topnav");
  const userArea = document.getElementById("user-area");
  const { path } = parseHash();
  if (!session.user) {
    replace(nav);
    replace(userArea);
    return;
  }
  const here = path === "/" || path === "" ? "workspaces" : path === "/new" ? "new" : "";
  const links = [h("a", { href: "#/", "aria-current": here === "workspaces" ? "page" : null }, "Workspaces")];
  if (session.can("create_workspace")) {
    links.push(h("a", { href: "#/new", "aria-current": here === "new" ? "page" : null }, "New workspace"));
  }
  replace(nav, links);
  const signOut = h("button", { type: "button", class: "small" }, "Sign out");
  signOut.addEventListener("click", async () => {
    await session.signOut();
    announce("Signed out");
    navigate("#/login");
  });
  replace(userArea,
    h("span", {}, h("span", { class: "visually-hidden" }, "Signed in as "), session.user.email),
    h("span", { class: "role", title: "Your role" }, session.user.role),
    signOut);
}

async function route() {
  if (current) {
    current.active = false;
    for (const fn of current.cleanups) fn();
  }
  const state = { cleanups: [], active: true };
  current = state;
  const { path, query } = parseHash();
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  if (!session.user && !(match && match.r.public)) {
    if (path !== "/login") sessionStorage.setItem(NEXT_KEY, window.location.hash || "#/");
    navigate("#/login");
    return;
  }
  renderTopbar();
  clearMessages(window.location.hash);
  const main = document.getElementById("main");
  const container = h("div", { class: "view" }, h("p", { class: "loading", role: "status" }, "Loading…"));
  replace(main, container);
  if (!match) {
    replace(container, h("h1", { tabindex: "-1" }, "Page not found"),
      h("p", {}, "This address does not name a page of qmsgap. "), h("a", { href: "#/" }, "Go to the workspaces"));
    finish(container, "Page not found");
    return;
  }
  const params = {};
  (match.r.names || []).forEach((name, i) => { params[name] = decodeURIComponent(match.m[i + 1]); });
  const ctx = {
    container,
    params,
    query,
    mode: match.r.mode,
    session,
    navigate,
    onCleanup: (fn) => state.cleanups.push(fn),
    isActive: () => state.active,
    afterSignIn: () => {
      const next = sessionStorage.getItem(NEXT_KEY);
      sessionStorage.removeItem(NEXT_KEY);
      navigate(next && next !== "#/login" ? next : "#/");
    },
  };
  try {
    const title = await match.r.view.render(ctx);
    if (state.active) finish(container, title);
  } catch (error) {
    if (!state.active) return;
    if (error.status === 401) return; // the unauthorized handler takes over
    replace(container,
      h("h1", { tabindex: "-1" }, error.status === 404 ? "Not found" : "Something went wrong"),
      h("p", { class: "form-error", role: "alert" }, error.message || String(error)),
      h("p", {}, h("a", { href: "#/" }, "Back to the workspaces")));
    finish(container, "Error");
  }
}

function finish(container, title) {
  document.title = title ? `${title} · qmsgap` : "qmsgap";
  const heading = container.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
  announce(`${title || "qmsgap"} page`);
}

setUnauthorizedHandler(() => {
  if (!session.user) return;
  session.expire();
  const { path } = parseHash();
  if (path !== "/login") sessionStorage.setItem(NEXT_KEY, window.location.hash || "#/");
  clearMessages();
  notify("Your session has ended. Please sign in again.", "error", "#/login");
  navigate("#/login");
});

document.getElementById("skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  const target = document.querySelector("main h1") || document.getElementById("main");
  target.setAttribute("tabindex", "-1");
  target.focus();
});

window.addEventListener("hashchange", route);
session.restore().then(route);
