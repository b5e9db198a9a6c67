// The API client: bearer token in sessionStorage (gone when the tab closes, never in a URL),
// errors as ApiError with the server's {error: {code, message}}.

const PREFIX = "/api/v1";
const TOKEN_KEY = "qmsgap.token";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Called with the error when a request answers 401 (the session ended). */
let onUnauthorized = () => {};
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

function headers(extra = {}) {
  const out = { Accept: "application/json", ...extra };
  const token = getToken();
  if (token) out.Authorization = `Bearer ${token}`;
  return out;
}

async function errorFrom(response) {
  let code = "http_error";
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch {
    // not JSON: keep the status line
  }
  const error = new ApiError(response.status, code, message);
  if (response.status === 401) onUnauthorized(error);
  return error;
}

/** A query string from an object, leaving out empty values. */
export function query(params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function request(method, path, body) {
  const init = { method, headers: headers(), credentials: "omit", cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(PREFIX + path, init);
  } catch (error) {
    throw new ApiError(0, "network_error", `the server could not be reached (${error.message})`);
  }
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return null;
  return response.json();
}

export const api = {
  get: (path, params) => request("GET", path + query(params)),
  post: (path, body) => request("POST", path, body),
  put: (path, body) => request("PUT", path, body),
  patch: (path, body) => request("PATCH", path, body),
  del: (path) => request("DELETE", path),
};

/**
 * Upload one file (multipart part "files") with XMLHttpRequest so progress can be shown.
 * onProgress(fraction) is called while the body is sent. Resolves with the server's
 * UploadResult; rejects with ApiError.
 */
export function uploadFile(workspaceId, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${PREFIX}/workspaces/${encodeURIComponent(workspaceId)}/documents`);
    const token = getToken();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      const body = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body);
        return;
      }
      const error = body && body.error
        ? new ApiError(xhr.status, body.error.code, body.error.message)
        : new ApiError(xhr.status, "http_error", `${xhr.status} ${xhr.statusText}`);
      if (xhr.status === 401) onUnauthorized(error);
      reject(error);
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network_error", "the upload was interrupted (network error)")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted", "the upload was cancelled")));
    const form = new FormData();
    form.append("files", file, file.name);
    xhr.send(form);
  });
}

/** GET a file with the bearer token; resolves with {blob, filename}. */
export async function fetchFile(path) {
  let response;
  try {
    response = await fetch(PREFIX + path, { headers: headers({ Accept: "*/*" }), credentials: "omit", cache: "no-store" });
  } catch (error) {
    throw new ApiError(0, "network_error", `the server could not be reached (${error.message})`);
  }
  if (!response.ok) throw await errorFrom(response);
  const blob = await response.blob();
  return { blob, filename: filenameFrom(response.headers.get("Content-Disposition")) };
}

function filenameFrom(disposition) {
  if (!disposition) return null;
  const star = /filename\*=(?:UTF-8'')?([^;]+)/i.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ""));
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1] : null;
}

/** Save a blob under a file name (the browser's download). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Download an API file (report, original document) under the server's file name. */
export async function download(path, fallbackName) {
  const { blob, filename } = await fetchFile(path);
  saveBlob(blob, filename || fallbackName);
  return filename || fallbackName;
}

/**
 * Open an original document in a new tab: a PDF at `page` (the browser's PDF viewer honours
 * #page=N); other formats are saved as a download. The token never leaves this page: the
 * file is fetched here and handed over as a blob: URL. Resolves with "opened" or "downloaded".
 */
export async function openOriginal(path, { page, name }) {
  const { blob, filename } = await fetchFile(path);
  if (blob.type !== "application/pdf") {
    saveBlob(blob, filename || name);
    return "downloaded";
  }
  const url = URL.createObjectURL(blob);
  const opened = window.open(page ? `${url}#page=${page}` : url, "_blank");
  if (opened) opened.opener = null;
  else saveBlob(blob, filename || name); // pop-ups blocked: save it instead
  setTimeout(() => URL.revokeObjectURL(url), 10 * 60_000);
  return opened ? "opened" : "downloaded";
}
