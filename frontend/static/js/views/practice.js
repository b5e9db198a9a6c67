// Reviewing one practice: its coverage and evidence in the latest analysis, the manual status
// (set with a reason, or withdrawn), passages the engine missed (search and attach),
// comments, and the practice's audit trail.

import { api } from "../api.js";
import {
  announce, askReason, field, formatDate, h, newId, notify, replace, STATUS_LABELS, STATUSES, table,
} from "../dom.js";
import { focusHeading } from "./clause.js";
import { documentIndex, whereText } from "./evidence.js";
import { workspaceFrame } from "./frame.js";
import { practiceCard } from "./practicecard.js";

const ACTION_LABELS = {
  "evidence.accepted": "Accepted evidence",
  "evidence.rejected": "Rejected evidence",
  "evidence.attached": "Attached a passage",
  "evidence.withdrawn": "Withdrew an evidence decision",
  "status.set": "Set the status",
  "status.cleared": "Withdrew the manual status",
  "comment.added": "Commented",
};

export async function render(ctx) {
  const practiceId = ctx.params.practice;
  const { workspace, body, heading } = await workspaceFrame(ctx, "dashboard", `Practice ${practiceId}`);
  const wsPath = `/workspaces/${workspace.id}`;
  const canReview = ctx.session.can("review");
  const canComment = ctx.session.can("comment");
  const cardBox = h("div", {});
  const statusBox = h("div", {});
  const commentsBox = h("div", {});
  const auditBox = h("div", {});
  let docs = new Map();
  let analysisId = null;

  const draw = async (focusPractice) => {
    const review = await api.get(`${wsPath}/reviews/practices/${encodeURIComponent(practiceId)}`);
    heading.textContent = `${review.practice_id} ${review.title}`;
    if (review.analysis_id && review.analysis_id !== analysisId) {
      analysisId = review.analysis_id;
      docs = documentIndex(await api.get(`${wsPath}/analyses/${analysisId}`));
    }
    const parts = [
      h("p", {}, h("a", { href: `#/w/${workspace.id}/clause/${encodeURIComponent(review.clause_id)}` }, `Clause ${review.clause_id}`), " · ",
        h("a", { href: `#/w/${workspace.id}/dashboard` }, "Dashboard")),
      h("details", { open: true }, h("summary", {}, "Requirement"), h("p", {}, review.requirement)),
    ];
    if (review.coverage) {
      parts.push(practiceCard(review.coverage, {
        workspaceId: workspace.id, docs, canReview, records: review.evidence_reviews,
        override: review.status_override, headingLevel: 2, onChanged: draw,
      }));
    } else {
      parts.push(h("p", { class: "empty" }, "Not analyzed yet: start an analysis to see its coverage."));
    }
    replace(cardBox, parts);
    replace(statusBox, statusForm(review));
    replace(commentsBox, commentsSection(review));
    replace(auditBox, auditTable(review.audit));
    focusHeading(focusPractice);
    return review;
  };

  function statusForm(review) {
    const override = review.status_override;
    const parts = [h("h2", { id: "status-heading" }, "Manual status")];
    if (override) {
      parts.push(h("p", { class: "manual-note", id: "manual-status" }, h("strong", {}, `${STATUS_LABELS[override.status]} (manual decision). `),
        `${override.reason} — ${override.set_by || "unknown"}, ${formatDate(override.set_at)}`));
    } else {
      parts.push(h("p", { class: "meta" }, "The engine's status applies. A reviewer may replace it, with a reason; the decision applies to every later analysis."));
    }
    if (!canReview) return h("section", { class: "panel", "aria-labelledby": "status-heading" }, parts);
    const select = h("select", { name: "status" }, STATUSES.map((st) => h("option", { value: st, selected: override ? st === override.status : false }, STATUS_LABELS[st])));
    const reason = h("textarea", { name: "reason", required: true, maxlength: "5000" });
    const error = h("p", { class: "form-error", role: "alert" });
    const form = h("form", { novalidate: true }, field("Status", select), field("Reason", reason, "Required: what the reviewer checked (kept in the audit trail)."), error,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Set status")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!reason.value.trim()) {
        error.textContent = "Give a reason for the manual status.";
        reason.focus();
        return;
      }
      try {
        await api.put(`${wsPath}/reviews/practices/${encodeURIComponent(practiceId)}/status`, { status: select.value, reason: reason.value.trim() });
        notify(`Status set to ${STATUS_LABELS[select.value]} by hand`, "success");
        await draw(practiceId);
      } catch (e) {
        error.textContent = e.message;
      }
    });
    parts.push(form);
    if (override) {
      const clearButton = h("button", { type: "button" }, "Withdraw manual status");
      clearButton.addEventListener("click", async () => {
        try {
          await api.del(`${wsPath}/reviews/practices/${encodeURIComponent(practiceId)}/status`);
          notify("Manual status withdrawn: the engine's status applies again", "success");
          await draw(practiceId);
        } catch (e) {
          notify(e.message, "error");
        }
      });
      parts.push(h("div", { class: "actions" }, clearButton));
    }
    return h("section", { class: "panel", "aria-labelledby": "status-heading" }, parts);
  }

  function searchSection() {
    const input = h("input", { type: "search", name: "q", maxlength: "1000", autocomplete: "off" });
    const resultsList = h("ul", { class: "search-results", "aria-label": "Matching passages" });
    const status = h("p", { class: "meta", role: "status" });
    const form = h("form", { class: "inline-form", role: "search", "aria-label": "Search the documents" },
      field("Search the documents for a passage the engine missed", input),
      h("button", { type: "submit" }, "Search"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const q = input.value.trim();
      if (!q) { input.focus(); return; }
      status.textContent = "Searching…";
      try {
        const hits = await api.get(`${wsPath}/passages/search`, { q, limit: 10 });
        status.textContent = `${hits.count} passage${hits.count === 1 ? "" : "s"} found`;
        replace(resultsList, hits.data.map((hit) => hitItem(hit)));
      } catch (e) {
        status.textContent = e.message;
      }
    });
    return h("section", { class: "panel", "aria-labelledby": "attach-heading" },
      h("h2", { id: "attach-heading" }, "Add a missed passage"),
      h("p", { class: "meta" }, "Search the current documents, then attach a whole passage or only the text you select in it."),
      form, status, resultsList);
  }

  function hitItem(hit) {
    const passage = hit.passage;
    const text = h("p", { class: "passage-text" }, passage.text);
    const where = whereText({ page: passage.page_start, section: passage.section });
    const attach = async (span) => {
      const reason = await askReason(`Attach to practice ${practiceId}`, { confirm: "Attach", hint: "Why this passage supports the practice." });
      if (reason === null) return;
      const bodyJson = span
        ? { practice_id: practiceId, document_id: hit.sha256, start: span[0], end: span[1], reason: reason || null }
        : { practice_id: practiceId, passage_id: passage.id, reason: reason || null };
      try {
        await api.post(`${wsPath}/reviews/attachments`, bodyJson);
        notify(`Passage from ${hit.document} attached as evidence`, "success");
        await draw(practiceId);
      } catch (e) {
        notify(`Not attached: ${e.message}`, "error");
      }
    };
    const whole = h("button", { type: "button", class: "small", "aria-label": `Attach this passage from ${hit.document}` }, "Attach passage");
    whole.addEventListener("click", () => attach(null));
    const selected = h("button", { type: "button", class: "small", "aria-label": `Attach the selected text of this passage from ${hit.document}` }, "Attach selected text");
    selected.addEventListener("click", () => {
      const span = selectionIn(text, passage);
      if (!span) {
        notify("Select some text inside this passage first.", "error");
        return;
      }
      attach(span);
    });
    return h("li", {}, h("div", { class: "where" }, h("strong", {}, hit.document), where ? h("span", {}, where) : null),
      text, canReview ? h("div", { class: "actions" }, whole, selected) : null);
  }

  function commentsSection(review) {
    const list = review.comments.length
      ? h("ul", { class: "comments" }, review.comments.map((c) => h("li", {}, h("div", { class: "meta" }, `${c.author}, ${formatDate(c.created_at)}`), c.body)))
      : h("p", { class: "empty" }, "No comments yet.");
    const parts = [h("h2", { id: "comments-heading" }, "Comments"), list];
    if (canComment) {
      const textarea = h("textarea", { name: "comment", maxlength: "10000" });
      const error = h("p", { class: "form-error", role: "alert" });
      const form = h("form", { novalidate: true }, field("Add a comment", textarea), error,
        h("div", { class: "actions" }, h("button", { type: "submit" }, "Add comment")));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        if (!textarea.value.trim()) { error.textContent = "Write a comment first."; textarea.focus(); return; }
        try {
          await api.post(`${wsPath}/reviews/practices/${encodeURIComponent(practiceId)}/comments`, { body: textarea.value.trim() });
          announce("Comment added");
          await draw();
          const commentsHeading = document.getElementById("comments-heading");
          if (commentsHeading) {
            commentsHeading.tabIndex = -1;
            commentsHeading.focus();
          }
        } catch (e) {
          error.textContent = e.message;
        }
      });
      parts.push(form);
    }
    return h("section", { class: "panel", "aria-labelledby": "comments-heading" }, parts);
  }

  const review = await draw();
  const headingId = newId("audit");
  replace(body,
    cardBox,
    statusBox,
    canReview && review.coverage ? searchSection() : null,
    commentsBox,
    h("section", { class: "panel", "aria-labelledby": headingId }, h("h2", { id: headingId }, "Audit trail of this practice"), auditBox));
  return `${review.practice_id} ${review.title}`;
}

/** [start, end] in the document of the text selected inside `element` (the passage text). */
function selectionIn(element, passage) {
  const selection = window.getSelection();
  if (!selection || selection.isCollapsed || selection.rangeCount === 0) return null;
  const range = selection.getRangeAt(0);
  const node = element.firstChild;
  if (!node || range.startContainer !== node || range.endContainer !== node) return null;
  const from = Math.min(range.startOffset, range.endOffset);
  const to = Math.max(range.startOffset, range.endOffset);
  if (to <= from) return null;
  return [passage.start + from, passage.start + to];
}

function describe(state) {
  if (!state) return "–";
  if (state.status) return `${STATUS_LABELS[state.status] || state.status}${state.source ? ` (${state.source})` : ""}${state.reason ? `: ${state.reason}` : ""}`;
  if (state.decision) return `${state.decision}: “${state.quote || ""}” (${state.document || ""})${state.reason ? ` — ${state.reason}` : ""}`;
  if (state.body) return state.body;
  return Object.entries(state).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
}

export function auditTable(events) {
  if (!events.length) return h("p", { class: "empty" }, "No changes yet.");
  const rows = events.map((e) => h("tr", {},
    h("td", {}, formatDate(e.at)),
    h("td", {}, e.actor),
    h("td", {}, ACTION_LABELS[e.action] || e.action),
    h("td", { class: "change" }, describe(e.before)),
    h("td", { class: "change" }, describe(e.after))));
  return table(`${events.length} event${events.length === 1 ? "" : "s"}, oldest first`, ["When", "Who", "Action", "Before", "After"], rows, { class: "audit" });
}
