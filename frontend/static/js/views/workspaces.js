// The workspace list and the form creating a workspace (framework, software type, tailoring).

import { api } from "../api.js";
import { announce, field, formatDate, h, newId, replace, table } from "../dom.js";

export async function render(ctx) {
  return ctx.mode === "new" ? renderNew(ctx) : renderList(ctx);
}

async function renderList(ctx) {
  const answer = await api.get("/workspaces");
  const rows = answer.data.map((ws) => h("tr", {},
    h("th", { scope: "row" }, h("a", { href: `#/w/${ws.id}` }, ws.name)),
    h("td", {}, ws.framework.toUpperCase()),
    h("td", {}, `Type ${ws.software_type}`),
    h("td", { class: "num" }, String(ws.documents)),
    h("td", {}, ws.latest_analysis_id
      ? h("a", { href: `#/w/${ws.id}/dashboard` }, "Dashboard")
      : h("span", { class: "empty" }, "not analyzed yet")),
    h("td", { class: "hide-narrow" }, formatDate(ws.updated_at))));
  const create = ctx.session.can("create_workspace")
    ? h("a", { class: "button primary", href: "#/new" }, "New workspace") : null;
  replace(ctx.container,
    h("div", { class: "page-head" }, h("h1", {}, "Workspaces"), create),
    answer.count
      ? table("Your workspaces", ["Name", "Framework", "Software", { text: "Documents", class: "num" }, "Latest analysis", { text: "Updated", class: "hide-narrow" }], rows)
      : h("p", { class: "empty" }, ctx.session.can("create_workspace")
        ? "No workspaces yet. Create one for the organisation under assessment."
        : "You are not a member of any workspace yet. Ask a consultant or an administrator to add you."));
  return "Workspaces";
}

async function renderNew(ctx) {
  if (!ctx.session.can("create_workspace")) {
    replace(ctx.container, h("h1", {}, "New workspace"),
      h("p", { class: "form-error" }, `Your role (${ctx.session.user.role}) may not create workspaces.`));
    return "New workspace";
  }
  const catalogs = (await api.get("/catalogs")).data;
  const catalogCache = new Map();
  const loadCatalog = async (id) => {
    if (!catalogCache.has(id)) catalogCache.set(id, await api.get(`/catalogs/${encodeURIComponent(id)}`));
    return catalogCache.get(id);
  };

  const name = h("input", { type: "text", name: "name", required: true, maxlength: "200", autocomplete: "off" });
  const framework = h("select", { name: "framework" },
    catalogs.map((c) => h("option", { value: c.id, selected: c.id === "asqms" }, `${c.title} (${c.id}, ${c.version})`)));
  const softwareType = h("select", { name: "software_type" });
  const rowsBox = h("div", { id: "tailoring-rows" });
  const addRow = h("button", { type: "button" }, "Add a tailored clause");
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, "Create workspace");
  let clauses = [];

  const tailoringRow = () => {
    const clause = h("select", { name: "tailoring_clause" },
      h("option", { value: "" }, "Choose a clause"),
      clauses.map((c) => h("option", { value: c.id }, `${c.id} ${c.title}`)));
    const justification = h("textarea", { name: "tailoring_justification", maxlength: "5000", rows: "2" });
    const row = h("fieldset", { class: "tailoring-row" });
    const remove = h("button", { type: "button", class: "small danger" }, "Remove");
    remove.addEventListener("click", () => {
      row.remove();
      announce("Tailored clause removed");
      addRow.focus();
    });
    row.append(h("legend", {}, "Clause declared not applicable"),
      field("Clause", clause),
      field("Justification", justification, "Why the clause does not apply (shown in every report)."),
      remove);
    return row;
  };

  const refreshCatalog = async () => {
    const catalog = await loadCatalog(framework.value);
    replace(softwareType, catalog.software_types.map((t) => h("option", { value: t, selected: t === "II" }, `Type ${t}`)));
    clauses = catalog.clauses.filter((c) => c.tailorable);
    replace(rowsBox);
    addRow.disabled = clauses.length === 0;
  };
  framework.addEventListener("change", () => refreshCatalog().catch((e) => { error.textContent = e.message; }));
  addRow.addEventListener("click", () => {
    const row = tailoringRow();
    rowsBox.append(row);
    row.querySelector("select").focus();
  });

  const form = h("form", { class: "panel", novalidate: true },
    field("Name", name, "The organisation or site under assessment, e.g. “ACME Electronics – plant Brno”."),
    field("Framework", framework),
    field("Software type", softwareType, "Type I: software is part of the product; Type II: software-intensive products (more practices are mandatory)."),
    h("h2", {}, "Tailoring"),
    h("p", { class: "meta" }, "Only tailorable clauses can be declared not applicable, each with a justification."),
    rowsBox,
    h("div", { class: "actions" }, addRow),
    error,
    h("div", { class: "actions" }, submit, h("a", { href: "#/", class: "button" }, "Cancel")));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const tailoring = {};
    for (const row of rowsBox.querySelectorAll(".tailoring-row")) {
      const clause = row.querySelector("select").value;
      const reason = row.querySelector("textarea").value.trim();
      if (!clause || !reason) {
        error.textContent = "Every tailored clause needs a clause and a justification.";
        (clause ? row.querySelector("textarea") : row.querySelector("select")).focus();
        return;
      }
      if (tailoring[clause]) {
        error.textContent = `Clause ${clause} is tailored twice.`;
        row.querySelector("select").focus();
        return;
      }
      tailoring[clause] = reason;
    }
    if (!name.value.trim()) {
      error.textContent = "Give the workspace a name.";
      name.focus();
      return;
    }
    submit.disabled = true;
    try {
      const ws = await api.post("/workspaces", {
        name: name.value.trim(),
        framework: framework.value,
        software_type: softwareType.value,
        tailoring,
      });
      announce(`Workspace ${ws.name} created`);
      ctx.navigate(`#/w/${ws.id}`);
    } catch (err) {
      error.textContent = err.message;
    } finally {
      submit.disabled = false;
    }
  });

  await refreshCatalog();
  const headingId = newId("h");
  replace(ctx.container, h("section", { "aria-labelledby": headingId },
    h("h1", { id: headingId }, "New workspace"), form));
  return "New workspace";
}
