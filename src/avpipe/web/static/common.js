// Helpers shared by the pages: API calls, the access token, formatting.

const TOKEN_KEY = "avpipe.token";

export function token() {
  return localStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

export function authHeaders() {
  const value = token();
  return value ? { "X-Avpipe-Token": value } : {};
}

export async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const message = (data && data.error && data.error.message) || `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return data;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  if (h) return `${h}:${String(m).padStart(2, "0")}:${s}`;
  if (total < 10) return `${seconds.toFixed(1)} s`;
  return `${m}:${s}`;
}

export function formatDate(stamp) {
  if (!stamp) return "–";
  const date = new Date(stamp);
  return Number.isNaN(date.getTime()) ? stamp : date.toLocaleString();
}

export function assetUrl(name) {
  return "/asset/" + name.split("/").map(encodeURIComponent).join("/");
}

export function apiAssetUrl(name) {
  return "/api/assets/" + name.split("/").map(encodeURIComponent).join("/");
}

export function badge(state) {
  return el("span", { class: `badge ${state}`, "data-state": state, text: state });
}

// The last `avpipe verify` of an asset: a mark when one has run, nothing otherwise.
export function verificationMark(asset) {
  const check = asset.verification;
  if (!check) return null;
  const text = check.ok ? (check.decoded ? "verified + decoded" : "verified") : "verification failed";
  const title = check.ok ? `${check.files} files checked ${formatDate(check.at)}` : check.problems.join(" ");
  return el("span", { class: `verification ${check.ok ? "ok" : "failed"}`, title, text });
}

export function stateText(asset) {
  if (asset.state === "processing" && asset.progress !== null && asset.progress !== undefined) {
    return `processing ${asset.progress} %`;
  }
  return asset.state;
}

export async function retry(name) {
  return api(apiAssetUrl(name) + "/retry", { method: "POST" });
}
