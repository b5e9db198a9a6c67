// What changed between two analyses: readiness, documents, and every practice whose status or
// evidence moved.

import { api, query } from "../api.js";
import { badge, field, h, replace, statusBadge, table } from "../dom.js";
import { analysisLabel, succeededAnalyses, workspaceFrame } from "./frame.js";

const CHANGE_LABELS = {
  improved: "Improved", regressed: "Regressed", changed: "Changed", unchanged: "Unchanged", added: "New", removed: "Removed",
};
const CHANGE_KINDS = { improved: "accepted", regressed: "rejected", changed: "manual" };

export async function render(ctx) {
  const { workspace, body } = await workspaceFrame(ctx, "compare");
  const analyses = await succeededAnalyses(workspace.id);
  if (analyses.length < 2) {
    replace(body, h("p", { class: "empty" }, "Comparing needs two finished analyses. Upload new document versions and analyze again."),
      h("p", {}, h("a", { href: `#/w/${workspace.id}` }, "Documents and analyses")));
    return `Compare · ${workspace.name}`;
  }
  const head = analyses.find((a) => a.id === ctx.query.head) || analyses[0];
  const base = analyses.find((a) => a.id === ctx.query.base) || analyses[analyses.indexOf(head) + 1] || analyses[1];
  const showAll = ctx.query.all === "true";

  const options = (selected) => analyses.map((a, i) => h("option", { value: a.id, selected: a.id === selected.id }, analysisLabel(a, i)));
  const baseSelect = h("select", { name: "base" }, options(base));
  const headSelect = h("select", { name: "head" }, options(head));
  const all = h("input", { type: "checkbox", name: "all", checked: showAll, id: "compare-all" });
  const form = h("form", { class: "panel inline-form" },
    field("Before (base)", baseSelect), field("After (head)", headSelect),
    h("div", { class: "field" }, h("label", { class: "checkbox", for: "compare-all" }, all, "Show unchanged practices")),
    h("button", { type: "submit", class: "primary" }, "Compare"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.navigate(`#/w/${workspace.id}/compare${query({ base: baseSelect.value, head: headSelect.value, all: all.checked ? "true" : "" })}`);
  });
  const result = h("div", { id: "diff" });
  replace(body, form, result);
  if (base.id === head.id) {
    replace(result, h("p", { class: "form-error" }, "Choose two different analyses."));
    return `Compare · ${workspace.name}`;
  }
  const diff = await api.get(`/workspaces/${workspace.id}/diff`, { base: base.id, head: head.id, all: showAll ? "true" : undefined });
  const s = diff.summary;
  const delta = s.readiness_delta;
  const summary = h("section", { class: "panel", "aria-labelledby": "diff-summary" },
    h("h2", { id: "diff-summary" }, "Summary"),
    h("p", { class: "readiness" }, h("span", { class: "score" }, `${s.readiness_after.toFixed(1)}`, h("small", {}, " %")),
      h("span", {}, `readiness, ${delta >= 0 ? "+" : "−"}${Math.abs(delta).toFixed(1)} points from ${s.readiness_before.toFixed(1)}%`)),
    h("ul", { class: "counts" },
      h("li", {}, badge("Improved", "accepted"), String(s.improved)),
      h("li", {}, badge("Regressed", "rejected"), String(s.regressed)),
      h("li", {}, badge("Changed", "manual"), String(s.changed)),
      h("li", {}, badge("Unchanged"), String(s.unchanged))),
    h("p", {}, `Mandatory gaps: ${s.mandatory_gaps_before} → ${s.mandatory_gaps_after}`));
  const documents = h("section", { class: "panel", "aria-labelledby": "diff-docs" },
    h("h2", { id: "diff-docs" }, "Documents"),
    diff.documents.length
      ? table("Changed documents", ["Document", "Change"], diff.documents.map((d) => h("tr", {}, h("th", { scope: "row" }, d.document), h("td", {}, d.change))))
      : h("p", { class: "empty" }, "The same document versions."));
  const rows = [];
  for (const clause of diff.clauses) {
    for (const p of clause.practices) {
      rows.push(h("tr", { "data-practice": p.id, "data-change": p.change },
        h("th", { scope: "row" }, h("a", { href: `#/w/${workspace.id}/practice/${encodeURIComponent(p.id)}` }, p.id), h("div", { class: "meta" }, p.title)),
        h("td", {}, badge(CHANGE_LABELS[p.change] || p.change, CHANGE_KINDS[p.change] || "plain")),
        h("td", {}, statusCell(p.status_before, p.source_before)),
        h("td", {}, statusCell(p.status_after, p.source_after)),
        h("td", { class: "num" }, `${p.score_delta >= 0 ? "+" : "−"}${Math.abs(p.score_delta * 100).toFixed(0)}`),
        h("td", {}, evidenceChanges(p))));
    }
  }
  const practices = h("section", { class: "panel", "aria-labelledby": "diff-practices" },
    h("h2", { id: "diff-practices" }, "Practices"),
    rows.length ? table(`${rows.length} practice${rows.length === 1 ? "" : "s"}`, ["Practice", "Change", "Before", "After", { text: "Score Δ", class: "num" }, "Evidence"], rows, { id: "diff-table" })
      : h("p", { class: "empty" }, "No practice changed."));
  replace(result, summary, documents, practices);
  return `Compare · ${workspace.name}`;
}

function statusCell(status, source) {
  if (!status) return "–";
  return h("span", {}, statusBadge(status), source === "manual" ? badge("manual", "manual") : null);
}

function evidenceChanges(practice) {
  const items = [
    ...practice.evidence_added.map((e) => ["+", e]),
    ...practice.evidence_removed.map((e) => ["−", e]),
  ];
  if (!items.length) return "–";
  return h("details", {}, h("summary", {}, `${practice.evidence_added.length} added, ${practice.evidence_removed.length} removed`),
    h("ul", {}, items.map(([sign, e]) => h("li", {}, `${sign} ${e.document}${e.page ? ` p. ${e.page}` : ""}: “${e.quote.length > 200 ? `${e.quote.slice(0, 200)}…` : e.quote}”`))));
}

