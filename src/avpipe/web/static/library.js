// The library page: every asset with its thumbnail, facts, state and outputs; refreshed while work runs.
import { assetUrl, authHeaders, badge, el, formatDuration, retry, stateText, verificationMark } from "./common.js";

const grid = document.getElementById("assets");
const summary = document.getElementById("summary");
const PAGE = 60;
let timer = null;
let shown = PAGE;  // how many of the newest assets the page lists; "Show more" adds a page
let total = 0;

async function refresh() {
  clearTimeout(timer);
  let assets = [];
  try {
    const response = await fetch(`/api/assets?limit=${shown}`, { headers: authHeaders() });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      throw new Error((body && body.error && body.error.message) || `${response.status} ${response.statusText}`);
    }
    assets = await response.json();
    total = Number(response.headers.get("X-Total-Count") || assets.length);
    render(assets);
  } catch (error) {
    summary.textContent = `Could not load the library: ${error.message}`;
  }
  const busy = assets.some((a) => a.state === "queued" || a.state === "processing");
  timer = setTimeout(refresh, busy ? 1000 : 4000);
}

function render(assets) {
  const counts = {};
  for (const asset of assets) counts[asset.state] = (counts[asset.state] || 0) + 1;
  summary.textContent = assets.length
    ? `${assets.length} asset${assets.length === 1 ? "" : "s"}: ` +
      Object.entries(counts).map(([state, n]) => `${n} ${state}`).join(", ")
    : "No assets yet. Upload something first.";
  if (total > assets.length) summary.textContent += ` (the newest ${assets.length} of ${total} shown)`;
  const more = el("button", { type: "button", class: "more", text: "Show more",
    onclick: () => { shown += PAGE; refresh(); } });
  grid.replaceChildren(...assets.map(card), ...(total > assets.length ? [more] : []));
}

function card(asset) {
  const links = asset.links || {};
  const thumb = links.thumbnail
    ? el("img", { src: links.thumbnail, alt: `Thumbnail of ${asset.name}`, loading: "lazy" })
    : el("span", { "aria-hidden": "true", text: asset.kind === "audio" ? "♪" : asset.kind === "caption" ? "CC" : "▶" });
  const media = asset.media || {};
  const facts = [asset.kind || "upload", media.duration_s ? formatDuration(media.duration_s) : null,
    media.video ? `${media.video.display_width}×${media.video.display_height}` : null].filter(Boolean).join(" · ");
  const body = el("div", { class: "body" },
    el("a", { class: "title", href: assetUrl(asset.name), text: asset.title || asset.name }),
    (asset.tags || []).length ? el("div", { class: "tags", text: asset.tags.join(" · ") }) : null,
    el("div", { class: "facts" }, badge(asset.state), " ", el("span", { class: "state-text", text: asset.state === "processing" ? stateText(asset) : "" }),
      ...[verificationMark(asset)].filter(Boolean)),
    el("div", { class: "facts", text: facts }));
  if (asset.state === "processing") {
    const bar = el("span");
    bar.style.width = `${asset.progress || 0}%`;
    body.append(el("div", { class: "progress" }, bar));
  }
  if (asset.state === "failed" && asset.error) {
    body.append(el("div", { class: "reason", text: asset.error.reason }),
      el("div", {}, el("button", { type: "button", class: "retry", text: "Retry", onclick: (e) => onRetry(e, asset) })));
  }
  const outputs = [...(links.outputs || []), ...(links.captions || []).map((c) => ({ ...c, label: `${c.label} (VTT)` }))];
  if (outputs.length) {
    body.append(el("div", { class: "outputs" },
      outputs.map((o) => el("a", { class: "chip", href: o.url, text: o.label }))));
  }
  return el("article", { class: "card", "data-name": asset.name, "data-state": asset.state,
    "data-kind": asset.kind || "" },
    el("a", { class: "thumb", href: assetUrl(asset.name), tabindex: "-1" }, thumb), body);
}

async function onRetry(event, asset) {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    await retry(asset.name);
  } catch (error) {
    button.disabled = false;
    button.textContent = `Retry (${error.message})`;
  }
  refresh();
}

refresh();
