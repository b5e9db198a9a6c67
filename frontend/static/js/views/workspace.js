// A workspace's home: upload documents (drag and drop or picker, progress per file), start an
// analysis and follow its progress live, the analyses so far and the documents.

import { ApiError, api, download, uploadFile } from "../api.js";
import {
  announce, bytes, formatDate, h, newId, notify, openDialog, percent, replace, table,
} from "../dom.js";
import { workspaceFrame } from "./frame.js";
import { membersSection } from "./members.js";

const STEP_LABELS = {
  queued: "Waiting to start",
  parse: "Reading documents",
  index: "Indexing passages",
  retrieve: "Finding evidence",
  score: "Scoring practices",
  done: "Done",
  succeeded: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};
const FINAL = new Set(["succeeded", "failed", "cancelled"]);
const POLL_MS = 700;
const PARALLEL_UPLOADS = 2;

export async function render(ctx) {
  const { workspace, body } = await workspaceFrame(ctx, "overview");
  const wsPath = `/workspaces/${workspace.id}`;
  const can = (action) => ctx.session.can(action);

  const documentsBox = h("div", {});
  const analysesBox = h("div", {});
  const progressBox = h("div", { class: "progress-block" });
  const startButton = h("button", { type: "button", class: "primary" }, "Start analysis");
  let documentCount = workspace.documents;
  let running = false; // an analysis of this workspace is queued or running
  let polling = null;
  ctx.onCleanup(() => { if (polling) clearTimeout(polling); });

  // ---------------------------------------------------------------- documents
  async function refreshDocuments() {
    const answer = await api.get(`${wsPath}/documents`);
    documentCount = answer.count;
    const rows = answer.data.map((doc) => documentRow(doc));
    replace(documentsBox, answer.count
      ? table(`Documents (${answer.count})`, ["Document", "Format", { text: "Version", class: "num" }, { text: "Size", class: "num hide-narrow" }, "Parsed", { text: "Findings", class: "num" }, { text: "Uploaded", class: "hide-narrow" }, "Actions"], rows)
      : h("p", { class: "empty" }, "No documents yet."));
    updateStartButton();
  }

  function documentRow(doc) {
    const v = doc.current_version;
    const described = [v.document_number, v.revision ? `rev. ${v.revision}` : null, v.title].filter(Boolean).join(" · ");
    const parsed = v.parse_status === "failed" && v.parse_error
      ? h("span", { class: "form-error" }, `Failed: ${v.parse_error.message}`)
      : v.parse_status === "parsed" ? `${v.passages} passages${v.pages ? `, ${v.pages} pages` : ""}`
        : "Not yet: read by the next analysis";
    const downloadButton = h("button", { type: "button", class: "small", "aria-label": `Download ${doc.name}` }, "Download");
    downloadButton.addEventListener("click", () => download(`${wsPath}/documents/${doc.id}/content`, v.filename)
      .then(() => announce(`${doc.name} downloaded`))
      .catch((e) => notify(`Download failed: ${e.message}`, "error")));
    const actions = [downloadButton];
    if (can("delete_document")) {
      const del = h("button", { type: "button", class: "small danger", "aria-label": `Delete ${doc.name}` }, "Delete");
      del.addEventListener("click", () => confirmDelete(doc));
      actions.push(del);
    }
    return h("tr", {},
      h("th", { scope: "row" }, doc.name, described ? h("div", { class: "meta" }, described) : null),
      h("td", {}, v.format.toUpperCase()),
      h("td", { class: "num" }, String(v.number)),
      h("td", { class: "num hide-narrow" }, bytes(v.size)),
      h("td", {}, parsed),
      h("td", { class: "num" }, v.parse_status === "parsed" ? String(v.findings) : "–"),
      h("td", { class: "hide-narrow" }, formatDate(v.uploaded_at), v.uploaded_by ? h("div", { class: "meta" }, v.uploaded_by) : null),
      h("td", {}, h("div", { class: "actions" }, actions)));
  }

  async function confirmDelete(doc) {
    const confirmed = await openDialog(`Delete ${doc.name}?`, (close) => h("div", {},
      h("p", {}, "The document leaves the list and later analyses. Earlier analyses and reports keep citing it."),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "danger", onclick: () => close(true) }, "Delete"),
        h("button", { type: "button", onclick: () => close(false) }, "Cancel"))));
    if (!confirmed) return;
    try {
      await api.del(`${wsPath}/documents/${doc.id}`);
      notify(`${doc.name} deleted`, "success");
      await refreshDocuments();
    } catch (e) {
      notify(`Could not delete ${doc.name}: ${e.message}`, "error");
    }
  }

  // ---------------------------------------------------------------- uploads
  function uploadSection() {
    const inputId = newId("files");
    const input = h("input", { type: "file", id: inputId, multiple: true, name: "files", "aria-describedby": `${inputId}-hint` });
    const list = h("ul", { class: "upload-list", "aria-label": "Uploads" });
    const zone = h("div", { class: "dropzone", id: "dropzone" },
      h("p", {}, h("strong", {}, "Drag and drop files here"), " or choose them:"),
      h("label", { for: inputId, class: "visually-hidden" }, "Choose files to upload"),
      input,
      h("p", { class: "meta", id: `${inputId}-hint` }, "PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), Markdown, HTML or text. Many files at once; a file with a known name becomes its new version."));
    input.addEventListener("change", () => {
      const files = [...input.files];
      input.value = "";
      if (files.length) uploadAll(files, list);
    });
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("dragging");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
      const files = [...(event.dataTransfer.files || [])];
      if (files.length) uploadAll(files, list);
    });
    return h("section", { class: "panel", "aria-labelledby": "upload-heading" },
      h("h2", { id: "upload-heading" }, "Upload documents"), zone, list);
  }

  async function uploadAll(files, list) {
    announce(`Uploading ${files.length} file${files.length === 1 ? "" : "s"}`);
    const items = files.map((file) => {
      const bar = h("progress", { max: "1", value: "0", "aria-label": `Upload progress of ${file.name}` });
      const outcome = h("span", { class: "outcome" }, "Waiting");
      const li = h("li", { class: "pending" }, h("span", { class: "name" }, file.name, h("span", { class: "meta" }, ` (${bytes(file.size)})`)), outcome, bar);
      list.prepend(li);
      return { file, li, bar, outcome };
    });
    const counts = { ok: 0, rejected: 0 };
    const queue = [...items];
    const worker = async () => {
      while (queue.length) {
        const item = queue.shift();
        item.outcome.textContent = "Uploading";
        try {
          const result = await uploadFile(workspace.id, item.file, (fraction) => {
            item.bar.value = fraction;
            item.outcome.textContent = `Uploading ${percent(fraction)}`;
          });
          item.bar.value = 1;
          item.li.className = "done";
          item.outcome.textContent = outcomeText(result.data[0]);
          counts.ok += 1;
        } catch (error) {
          item.li.className = "rejected";
          item.bar.remove();
          item.outcome.textContent = `Rejected: ${error instanceof ApiError ? error.message : String(error)}`;
          counts.rejected += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, queue.length) }, worker));
    const summary = `${counts.ok} file${counts.ok === 1 ? "" : "s"} uploaded${counts.rejected ? `, ${counts.rejected} rejected` : ""}`;
    notify(summary, counts.rejected ? "error" : "success");
    await refreshDocuments();
  }

  function outcomeText(outcome) {
    if (!outcome) return "Uploaded";
    const doc = outcome.document;
    switch (outcome.outcome) {
      case "created": return "Uploaded: new document";
      case "new_version": return `Uploaded: version ${doc.current_version.number} of ${doc.name}`;
      case "unchanged": return "Unchanged: same content as the current version";
      case "duplicate": return `Not added: the same content is already ${doc.name}`;
      default: return "Uploaded";
    }
  }

  // ---------------------------------------------------------------- analyses
  function updateStartButton() {
    startButton.disabled = running || documentCount === 0;
    startButton.title = documentCount === 0 ? "Upload documents first" : "";
  }

  async function refreshAnalyses() {
    const answer = await api.get(`${wsPath}/analyses`, { limit: 20 });
    const rows = answer.data.map((a, index) => {
      const summary = a.summary;
      const prior = answer.data.slice(index + 1).find((b) => b.status === "succeeded");
      const links = [];
      if (a.status === "succeeded") {
        const when = formatDate(a.created_at);
        links.push(h("a", { href: `#/w/${workspace.id}/dashboard?analysis=${a.id}`, "aria-label": `Dashboard of the analysis of ${when}` }, "Dashboard"));
        if (prior) {
          links.push(h("a", { href: `#/w/${workspace.id}/compare?base=${prior.id}&head=${a.id}`, "aria-label": `Compare the analysis of ${when} with the one before` }, "Compare with previous"));
        }
      }
      return h("tr", {},
        h("td", {}, formatDate(a.created_at)),
        h("td", {}, a.status, a.error ? h("div", { class: "form-error" }, a.error.message) : null),
        h("td", { class: "num" }, summary ? `${summary.readiness.toFixed(1)}%` : "–"),
        h("td", { class: "num" }, summary ? String(summary.mandatory_gaps) : "–"),
        h("td", { class: "num" }, String(a.documents.length)),
        h("td", { class: "hide-narrow" }, a.created_by || "–"),
        h("td", {}, h("div", { class: "actions" }, links)));
    });
    replace(analysesBox, answer.count
      ? table("Analyses", ["Started", "Status", { text: "Readiness", class: "num" }, { text: "Mandatory gaps", class: "num" }, { text: "Documents", class: "num" }, { text: "By", class: "hide-narrow" }, "Open"], rows)
      : h("p", { class: "empty" }, "No analysis yet."));
    return answer.data;
  }

  function showProgress(analysis) {
    const label = STEP_LABELS[analysis.step] || analysis.step;
    const bar = h("progress", { max: "1", value: String(analysis.progress), id: "analysis-progress", "aria-label": "Analysis progress" });
    const parts = [
      h("p", {}, h("span", { class: "step", id: "analysis-step" }, label),
        analysis.total && !FINAL.has(analysis.status) ? ` · ${analysis.done} of ${analysis.total}` : "",
        ` · ${percent(analysis.progress)}`),
      bar,
    ];
    if (!FINAL.has(analysis.status) && can("analyze")) {
      const cancel = h("button", { type: "button", class: "small danger" }, "Cancel analysis");
      cancel.addEventListener("click", async () => {
        cancel.disabled = true;
        try {
          await api.post(`${wsPath}/analyses/${analysis.id}/cancel`);
          announce("Cancelling the analysis");
        } catch (e) {
          notify(e.message, "error");
        }
      });
      parts.push(h("div", { class: "actions" }, cancel));
    }
    if (analysis.status === "succeeded") {
      parts.push(h("p", {}, `Readiness ${analysis.summary ? analysis.summary.readiness.toFixed(1) : "–"}%. `,
        h("a", { href: `#/w/${workspace.id}/dashboard`, id: "open-dashboard" }, "Open the dashboard")));
    } else if (analysis.status === "failed") {
      parts.push(h("p", { class: "form-error" }, `The analysis failed: ${analysis.error ? analysis.error.message : "unknown reason"}`));
    }
    replace(progressBox, h("div", { id: "analysis-status", "data-status": analysis.status, "data-analysis": analysis.id }, parts));
  }

  function follow(analysis) {
    let lastStep = null;
    const tick = async () => {
      polling = null;
      if (!ctx.isActive()) return;
      let current;
      try {
        current = await api.get(`${wsPath}/analyses/${analysis.id}`);
      } catch (e) {
        if (e.status === 401 || !ctx.isActive()) return;
        polling = setTimeout(tick, POLL_MS * 3); // a hiccup: try again a little later
        return;
      }
      if (!ctx.isActive()) return;
      showProgress(current);
      if (current.step !== lastStep) {
        lastStep = current.step;
        if (!FINAL.has(current.status)) announce(`Analysis: ${STEP_LABELS[current.step] || current.step}`);
      }
      if (FINAL.has(current.status)) {
        const message = current.status === "succeeded"
          ? `Analysis finished: readiness ${current.summary ? current.summary.readiness.toFixed(1) : "–"}%`
          : `Analysis ${current.status}${current.error ? `: ${current.error.message}` : ""}`;
        notify(message, current.status === "succeeded" ? "success" : "error");
        running = false;
        updateStartButton();
        await Promise.all([refreshAnalyses(), refreshDocuments()]);
        return;
      }
      polling = setTimeout(tick, POLL_MS);
    };
    running = true;
    updateStartButton();
    showProgress(analysis);
    polling = setTimeout(tick, POLL_MS);
  }

  startButton.addEventListener("click", async () => {
    startButton.disabled = true;
    try {
      const analysis = await api.post(`${wsPath}/analyses`);
      announce("Analysis started");
      follow(analysis);
      await refreshAnalyses();
    } catch (e) {
      notify(`Could not start the analysis: ${e.message}`, "error");
      updateStartButton();
    }
  });

  // ---------------------------------------------------------------- page
  const analysisSection = h("section", { class: "panel", "aria-labelledby": "analysis-heading" },
    h("h2", { id: "analysis-heading" }, "Analysis"),
    h("p", { class: "meta" }, "Maps the current version of every document onto the framework's clauses and practices. Only new versions are read again."),
    can("analyze") ? h("div", { class: "actions" }, startButton) : h("p", { class: "meta" }, `Your role (${ctx.session.user.role}) reads analyses but does not start them.`),
    h("div", { "aria-live": "off" }, progressBox),
    analysesBox);
  replace(body,
    can("upload") ? uploadSection() : null,
    analysisSection,
    h("section", { class: "panel", "aria-labelledby": "documents-heading" },
      h("h2", { id: "documents-heading" }, "Documents"), documentsBox),
    membersSection(ctx, workspace));
  const [analyses] = await Promise.all([refreshAnalyses(), refreshDocuments()]);
  const active = analyses.find((a) => !FINAL.has(a.status));
  if (active) follow(active);
  else updateStartButton();
  return workspace.name;
}

