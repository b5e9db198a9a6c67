// What every workspace page shares: the heading, the workspace navigation, the analysis picker
// and the (reviewed) coverage report of an analysis.

import { api, query } from "../api.js";
import { formatDate, h, replace } from "../dom.js";

const TABS = [
  ["overview", "Documents and analyses", ""],
  ["dashboard", "Dashboard", "/dashboard"],
  ["compare", "Compare", "/compare"],
  ["audit", "Audit trail", "/audit"],
];

/** Renders the frame into ctx.container; resolves with {workspace, body, heading}. */
export async function workspaceFrame(ctx, active, title) {
  const workspace = await api.get(`/workspaces/${ctx.params.workspace}`);
  const tailored = Object.keys(workspace.tailoring || {});
  const heading = h("h1", {}, title || workspace.name);
  const crumbs = title
    ? h("nav", { class: "breadcrumbs", "aria-label": "Breadcrumb" }, h("ol", {},
      h("li", {}, h("a", { href: "#/" }, "Workspaces")),
      h("li", {}, h("a", { href: `#/w/${workspace.id}` }, workspace.name)),
      h("li", {}, h("span", { "aria-current": "page" }, title))))
    : null;
  const meta = h("p", { class: "meta" },
    `${workspace.framework.toUpperCase()} · software type ${workspace.software_type} · ${workspace.documents} document${workspace.documents === 1 ? "" : "s"}`,
    tailored.length ? ` · tailored out: ${tailored.join(", ")}` : "");
  const nav = h("nav", { class: "subnav", "aria-label": "Workspace" },
    TABS.map(([key, label, suffix]) => h("a", {
      href: `#/w/${workspace.id}${suffix}`,
      "aria-current": key === active ? "page" : null,
    }, label)));
  const body = h("div", { class: "workspace-body" });
  replace(ctx.container, crumbs, heading, meta, nav, body);
  return { workspace, body, heading };
}

/** Succeeded analyses, newest first. */
export async function succeededAnalyses(workspaceId) {
  const answer = await api.get(`/workspaces/${workspaceId}/analyses`, { limit: 200 });
  return answer.data.filter((a) => a.status === "succeeded");
}

export function analysisLabel(analysis, index) {
  const readiness = analysis.summary ? ` · readiness ${analysis.summary.readiness.toFixed(1)}%` : "";
  return `${formatDate(analysis.finished_at || analysis.created_at)}${index === 0 ? " (latest)" : ""}${readiness}`;
}

/**
 * A <select> switching the page to another analysis (navigates with ?analysis=).
 * Returns {control, chosen, latest} where `chosen` is the analysis to show.
 */
export function analysisPicker(ctx, analyses, base) {
  const wanted = ctx.query.analysis;
  const chosen = analyses.find((a) => a.id === wanted) || analyses[0];
  const id = "analysis-picker";
  const select = h("select", { id },
    analyses.map((a, i) => h("option", { value: a.id, selected: a.id === chosen.id }, analysisLabel(a, i))));
  select.addEventListener("change", () => {
    const extra = select.value === analyses[0].id ? {} : { analysis: select.value };
    ctx.navigate(`${base}${query(extra)}`);
  });
  const control = h("div", { class: "field" }, h("label", { for: id }, "Analysis"), select);
  return { control, chosen, latest: chosen.id === analyses[0].id };
}

/** The full coverage report of an analysis, with the workspace's reviews applied. */
export function results(workspaceId, analysisId) {
  return api.get(`/workspaces/${workspaceId}/analyses/${analysisId}/results`);
}

export function noAnalysis(ctx, workspace, body) {
  replace(body, h("p", { class: "empty" }, "This workspace has no finished analysis yet. "),
    h("p", {}, h("a", { href: `#/w/${workspace.id}` }, "Upload documents and start an analysis")));
  return workspace.name;
}
