// A practice with its status, type, obligation, confidence, the engine's reasoning, and its
// evidence; manual decisions are marked.

import { badge, formatDate, h, percent, statusBadge } from "../dom.js";
import { decisionFor, evidenceItem, rejectedList } from "./evidence.js";

/**
 * opts: {workspaceId, docs, canReview, records (evidence review records), override (the
 * manual status record, if any), headingLevel, titleHref, onChanged}.
 */
export function practiceCard(practice, opts) {
  const manual = practice.status_source === "manual";
  const heading = h(`h${opts.headingLevel || 2}`, { id: `practice-${practice.id}` },
    opts.titleHref ? h("a", { href: opts.titleHref }, `${practice.id} ${practice.title}`) : `${practice.id} ${practice.title}`);
  const itemOpts = { ...opts, practiceId: practice.id };
  const evidence = practice.evidence.map((ev) => evidenceItem(ev, { ...itemOpts, decision: decisionFor(opts.records, practice.id, ev) }));
  const parts = [
    h("header", {}, heading),
    h("div", { class: "badges" },
      statusBadge(practice.status),
      manual ? badge("Manual decision", "manual", "A reviewer set this status") : null,
      badge(`Type ${practice.type}`),
      badge(practice.mandatory ? "Mandatory" : "Optional", practice.mandatory ? "mandatory" : "plain"),
      badge(`Confidence ${percent(practice.confidence)}`, "plain", "Estimated probability that the status is right"),
      badge(`Score ${percent(practice.score)}`, "plain", "Strength of the documentary evidence")),
  ];
  if (manual && opts.override) {
    parts.push(h("p", { class: "manual-note" }, h("strong", {}, "Set by a reviewer: "),
      `${opts.override.reason} (${opts.override.set_by || "unknown"}, ${formatDate(opts.override.set_at)})`));
  }
  parts.push(h("p", { class: "rationale" }, practice.rationale));
  if (practice.guidance) parts.push(h("p", { class: "guidance" }, h("strong", {}, "What to write: "), practice.guidance));
  if (practice.signals && practice.signals.length) {
    parts.push(h("p", { class: "meta" }, `Signals: ${practice.signals.join("; ")}`));
  }
  parts.push(h(`h${(opts.headingLevel || 2) + 1}`, {}, `Evidence (${practice.evidence.length})`));
  parts.push(evidence.length ? h("ul", { class: "evidence-list" }, evidence) : h("p", { class: "empty" }, "No evidence found in the documents."));
  parts.push(rejectedList(opts.records, itemOpts));
  return h("article", { class: ["practice", manual ? "manual" : null], "data-practice": practice.id, "data-status": practice.status, "aria-labelledby": `practice-${practice.id}` }, parts);
}
