// One evidence quote: where it is (document, page, section), the quote highlighted inside the
// passage around it, a button opening the original at that page, and the review actions.

import { api, openOriginal } from "../api.js";
import { announce, askReason, badge, formatDate, h, notify, percent, replace } from "../dom.js";

const passages = new Map(); // passage id -> Promise of the passage (kept for the session)
const PASSAGE_CACHE_LIMIT = 500;

/** sha256 of a version -> {documentId, versionId, name} from an analysis's document list. */
export function documentIndex(analysis) {
  return new Map(analysis.documents.map((d) => [d.sha256, { documentId: d.document_id, versionId: d.version_id, name: d.name }]));
}

function loadPassage(workspaceId, doc, passageId) {
  if (passages.has(passageId)) return passages.get(passageId);
  const ordinal = Number.parseInt(passageId.split(":").pop(), 10);
  const promise = Number.isFinite(ordinal)
    ? api.get(`/workspaces/${workspaceId}/documents/${doc.documentId}/passages`, { version_id: doc.versionId, offset: ordinal, limit: 1 })
      .then((page) => page.data.find((p) => p.id === passageId) || null)
      .catch(() => null)
    : Promise.resolve(null);
  if (passages.size >= PASSAGE_CACHE_LIMIT) passages.delete(passages.keys().next().value);
  passages.set(passageId, promise);
  return promise;
}

/** The quote inside its passage: [before, quote, after], or null when it cannot be placed. */
export function placeQuote(passage, evidence) {
  if (!passage) return null;
  const text = passage.text;
  let from = evidence.start - passage.start;
  let to = evidence.end - passage.start;
  if (!(from >= 0 && to <= text.length && text.slice(from, to) === evidence.quote)) {
    from = text.indexOf(evidence.quote);
    if (from < 0) return null;
    to = from + evidence.quote.length;
  }
  return [text.slice(0, from), text.slice(from, to), text.slice(to)];
}

function quoteBlock(evidence, label) {
  return h("blockquote", { "aria-label": label }, h("mark", {}, evidence.quote));
}

export function whereText(evidence) {
  const parts = [];
  if (evidence.page) parts.push(`page ${evidence.page}`);
  if (evidence.section && evidence.section.length) parts.push(`section ${evidence.section.join(" › ")}`);
  return parts.join(", ");
}

/**
 * An evidence list item. opts: {workspaceId, practiceId, docs (documentIndex), canReview,
 * decision (the standing review record of this item, if any), onChanged}.
 */
export function evidenceItem(evidence, opts) {
  const doc = opts.docs.get(evidence.document_id);
  const label = `Quote from ${evidence.document}${evidence.page ? `, page ${evidence.page}` : ""}`;
  const block = quoteBlock(evidence, label);
  if (doc) {
    loadPassage(opts.workspaceId, doc, evidence.passage_id).then((passage) => {
      const parts = placeQuote(passage, evidence);
      if (!parts) return;
      replace(block, h("span", { class: "context" }, parts[0]), h("mark", {}, parts[1]), h("span", { class: "context" }, parts[2]));
      block.dataset.context = "loaded";
    });
  }

  const where = h("div", { class: "where" },
    h("strong", {}, evidence.document),
    evidence.page ? h("span", {}, `page ${evidence.page}`) : null,
    evidence.section && evidence.section.length ? h("span", {}, `section ${evidence.section.join(" › ")}`) : null,
    evidence.origin === "engine" ? h("span", {}, `relevance ${percent(evidence.score)}`) : null,
    evidence.origin === "reviewer" ? badge("Added by a reviewer", "reviewer") : null,
    evidence.review === "accepted" ? badge("Accepted", "accepted") : null,
    evidence.review === "rejected" ? badge("Rejected", "rejected") : null);

  const actions = [];
  if (doc) {
    const open = h("button", { type: "button", class: "small", "aria-label": `Open ${evidence.document}${evidence.page ? ` at page ${evidence.page}` : ""}` },
      evidence.page ? `Open original at page ${evidence.page}` : "Open original");
    open.addEventListener("click", async () => {
      try {
        const how = await openOriginal(`/workspaces/${opts.workspaceId}/documents/${doc.documentId}/content?version_id=${doc.versionId}`,
          { page: evidence.page, name: doc.name });
        announce(how === "opened" ? `${evidence.document} opened in a new tab` : `${evidence.document} downloaded`);
      } catch (e) {
        notify(`Could not open ${evidence.document}: ${e.message}`, "error");
      }
    });
    actions.push(open);
  }
  if (opts.canReview) {
    if (opts.decision) {
      const withdraw = h("button", { type: "button", class: "small", "aria-label": `Withdraw the decision on this quote from ${evidence.document}` }, "Withdraw decision");
      withdraw.addEventListener("click", () => withdrawDecision(opts, opts.decision));
      actions.push(withdraw);
    }
    if (evidence.origin === "engine" && evidence.review !== "accepted") {
      const accept = h("button", { type: "button", class: "small", "data-action": "accept", "aria-label": `Accept this quote from ${evidence.document} as evidence` }, "Accept");
      accept.addEventListener("click", () => decide(opts, evidence, "accepted", null));
      actions.push(accept);
    }
    if (evidence.origin === "engine") {
      const reject = h("button", { type: "button", class: "small danger", "data-action": "reject", "aria-label": `Reject this quote from ${evidence.document}` }, "Reject");
      reject.addEventListener("click", async () => {
        const reason = await askReason("Reject this evidence", { confirm: "Reject", hint: "Why the quote does not support the practice (kept in the audit trail)." });
        if (reason === null) return;
        decide(opts, evidence, "rejected", reason || null);
      });
      actions.push(reject);
    }
  }
  return h("li", { class: ["evidence", evidence.review], "data-document": evidence.document, "data-start": String(evidence.start) },
    where, block, actions.length ? h("div", { class: "actions" }, actions) : null);
}

async function decide(opts, evidence, decision, reason) {
  try {
    await api.put(`/workspaces/${opts.workspaceId}/reviews/evidence`, {
      practice_id: opts.practiceId,
      document_id: evidence.document_id,
      start: evidence.start,
      end: evidence.end,
      decision,
      reason,
    });
    const message = decision === "accepted" ? "Evidence accepted" : "Evidence rejected: it no longer counts for this practice";
    notify(message, "success");
    await opts.onChanged(opts.practiceId);
  } catch (e) {
    notify(`The decision was not saved: ${e.message}`, "error");
  }
}

async function withdrawDecision(opts, record) {
  try {
    await api.del(`/workspaces/${opts.workspaceId}/reviews/evidence/${record.id}`);
    notify("Decision withdrawn: the engine's judgement applies again", "success");
    await opts.onChanged(opts.practiceId);
  } catch (e) {
    notify(`The decision was not withdrawn: ${e.message}`, "error");
  }
}

/** The matching standing decision for an evidence item, if any. */
export function decisionFor(records, practiceId, evidence) {
  return records.find((r) => r.practice_id === practiceId && r.document_id === evidence.document_id
    && r.start === evidence.start && r.end === evidence.end) || null;
}

/** Decisions that hide evidence (rejections), listed so they stay visible and reversible. */
export function rejectedList(records, opts) {
  const rejected = records.filter((r) => r.practice_id === opts.practiceId && r.decision === "rejected");
  if (!rejected.length) return null;
  return h("div", { class: "rejected-evidence" },
    h("h4", {}, `Rejected by reviewers (${rejected.length})`),
    h("ul", { class: "decisions" }, rejected.map((r) => {
      const item = h("li", { class: "evidence rejected" },
        h("div", { class: "where" }, badge("Rejected", "rejected"), h("strong", {}, r.document),
          r.page ? h("span", {}, `page ${r.page}`) : null,
          h("span", {}, `by ${r.updated_by || "unknown"}, ${formatDate(r.updated_at)}`)),
        h("blockquote", { "aria-label": `Rejected quote from ${r.document}` }, r.quote),
        r.reason ? h("p", {}, h("strong", {}, "Reason: "), r.reason) : null);
      if (opts.canReview) {
        const undo = h("button", { type: "button", class: "small", "aria-label": `Withdraw the rejection of the quote from ${r.document}` }, "Withdraw rejection");
        undo.addEventListener("click", () => withdrawDecision(opts, r));
        item.append(h("div", { class: "actions" }, undo));
      }
      return item;
    })));
}
