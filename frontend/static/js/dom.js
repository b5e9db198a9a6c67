// DOM helpers. Every text goes in through text nodes, never parsed as HTML: quotes, names and
// messages come from uploaded documents and other users.

const SVG_NS = "http://www.w3.org/2000/svg";

function applyAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value" && "value" in el) el.value = value;
    else if (key === "checked" || key === "disabled" || key === "selected" || key === "hidden"
      || key === "required" || key === "multiple") el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** h("p", {class: "x"}, "text", child): an element with attributes and children. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

let uid = 0;
/** A unique id for label/aria wiring. */
export function newId(prefix = "id") {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled form field: {label, hint, control} with the for/id/aria-describedby wiring. */
export function field(label, control, hint) {
  const id = control.id || newId("f");
  control.id = id;
  const parts = [h("label", { for: id }, label), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId }, hint));
  }
  return h("div", { class: "field" }, parts);
}

/** Say something to screen-reader users (polite live region). */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // a new text node after a tick makes screen readers read repeated messages too
  setTimeout(() => { region.textContent = text; }, 30);
}

/**
 * A visible message. Errors are alerts and stay until dismissed or until the page changes;
 * other messages are also announced politely and fade after a while. `route` is the page
 * (location hash) the message belongs to: leaving that page removes it.
 */
export function notify(text, kind = "info", route = window.location.hash) {
  const box = document.getElementById("messages");
  if (!box) return;
  const close = h("button", { type: "button", class: "small", "aria-label": "Dismiss message" }, "Dismiss");
  const item = h("div", { class: ["message", kind], role: kind === "error" ? "alert" : null, "data-route": route },
    h("p", {}, text), close);
  close.addEventListener("click", () => item.remove());
  box.append(item);
  if (kind !== "error") {
    announce(text);
    setTimeout(() => item.remove(), 8000);
  }
}

/** Removes the messages of other pages than `route`. */
export function clearMessages(route) {
  const box = document.getElementById("messages");
  if (!box) return;
  for (const item of [...box.children]) {
    if (route === undefined || item.dataset.route !== route) item.remove();
  }
}

export const STATUS_LABELS = {
  covered: "Covered",
  partial: "Partial",
  gap: "Gap",
  not_applicable: "Not applicable",
};
export const STATUSES = ["covered", "partial", "gap", "not_applicable"];

export function statusBadge(status, extra) {
  const label = STATUS_LABELS[status] || status || "unknown";
  return h("span", { class: ["badge", `status-${status}`] }, extra ? `${label} ${extra}` : label);
}

export function badge(text, kind = "plain", title) {
  return h("span", { class: ["badge", kind], title }, text);
}

export function percent(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return `${(value * 100).toFixed(digits)}%`;
}

export function formatDate(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function bytes(size) {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

/** A table inside a horizontally scrolling, keyboard-focusable wrapper. */
export function table(caption, headers, rows, attrs = {}) {
  const head = h("thead", {}, h("tr", {}, headers.map((col) => {
    const cell = typeof col === "string" ? { text: col } : col;
    return h("th", { scope: "col", class: cell.class }, cell.text);
  })));
  const body = h("tbody", {}, rows);
  const el = h("table", attrs, caption ? h("caption", {}, caption) : null, head, body);
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption || attrs["aria-label"] || "Table" }, el);
}

/**
 * A modal dialog (native <dialog>: focus stays inside, Escape closes). `build(close)` returns
 * the body; resolves with whatever `close(value)` was called with (undefined on Escape).
 */
export function openDialog(title, build) {
  return new Promise((resolve) => {
    const titleId = newId("dlg");
    const dialog = h("dialog", { "aria-labelledby": titleId });
    let result;
    const close = (value) => { result = value; dialog.close(); };
    dialog.append(h("h2", { id: titleId }, title), build(close));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Ask for an (optional or required) reason; resolves with the text or null when cancelled. */
export function askReason(title, { label = "Reason", required = false, confirm = "Confirm", hint } = {}) {
  return openDialog(title, (close) => {
    const input = h("textarea", { required, maxlength: "5000" });
    const error = h("p", { class: "form-error", role: "alert" });
    const form = h("form", {},
      field(required ? label : `${label} (optional)`, input, hint),
      error,
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "primary" }, confirm),
        h("button", { type: "button", onclick: () => close(null) }, "Cancel")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (required && !text) {
        error.textContent = `${label} is required.`;
        input.focus();
        return;
      }
      close(text);
    });
    return form;
  }).then((value) => (value === undefined ? null : value));
}
