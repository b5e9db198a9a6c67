// The workspace's append-only audit trail, paged, filterable by action.

import { api, query } from "../api.js";
import { field, h, replace } from "../dom.js";
import { workspaceFrame } from "./frame.js";
import { auditTable } from "./practice.js";

const PAGE = 100;
const ACTIONS = [
  "workspace.created", "workspace.updated", "member.added", "member.removed", "document.uploaded", "document.deleted",
  "analysis.started", "analysis.cancelled", "evidence.accepted", "evidence.rejected", "evidence.attached",
  "evidence.withdrawn", "status.set", "status.cleared", "comment.added",
];

export async function render(ctx) {
  const { workspace, body } = await workspaceFrame(ctx, "audit");
  const action = ACTIONS.includes(ctx.query.action) ? ctx.query.action : "";
  const offset = Math.max(0, Number.parseInt(ctx.query.offset || "0", 10) || 0);
  const answer = await api.get(`/workspaces/${workspace.id}/audit`, { action, offset, limit: PAGE });
  const select = h("select", { name: "action" }, h("option", { value: "" }, "Every action"),
    ACTIONS.map((a) => h("option", { value: a, selected: a === action }, a)));
  const form = h("form", { class: "inline-form" }, field("Action", select), h("button", { type: "submit" }, "Filter"));
  const go = (params) => ctx.navigate(`#/w/${workspace.id}/audit${query(params)}`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go({ action: select.value });
  });
  const pager = h("div", { class: "actions" });
  if (offset > 0) {
    const prev = h("button", { type: "button" }, "Earlier events");
    prev.addEventListener("click", () => go({ action, offset: Math.max(0, offset - PAGE) }));
    pager.append(prev);
  }
  if (offset + answer.data.length < answer.count) {
    const next = h("button", { type: "button" }, "Later events");
    next.addEventListener("click", () => go({ action, offset: offset + PAGE }));
    pager.append(next);
  }
  const events = answer.data.map((e) => ({ ...e, action: e.practice_id ? `${e.action} (${e.practice_id})` : e.action }));
  replace(body, h("section", { class: "panel", "aria-labelledby": "audit-heading" },
    h("h2", { id: "audit-heading" }, "Audit trail"),
    h("p", { class: "meta" }, `Every upload, deletion, analysis, review decision and comment, with who and when. Events ${answer.count ? offset + 1 : 0}–${offset + answer.data.length} of ${answer.count}.`),
    form, auditTable(events), pager));
  return `Audit trail · ${workspace.name}`;
}
