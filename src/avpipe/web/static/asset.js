// The asset page: player with a rendition selector and captions, readable metadata, every output.
import {
  api, apiAssetUrl, badge, el, formatBytes, formatDate, formatDuration, retry, stateText, verificationMark,
} from "./common.js";

const root = document.getElementById("asset");
const name = location.pathname.replace(/^\/asset\//, "").split("/").map(decodeURIComponent).join("/");
let shownState = null;

async function load() {
  let asset;
  try {
    asset = await api(apiAssetUrl(name));
  } catch (error) {
    root.replaceChildren(el("h1", { text: name }), el("p", { class: "lede", text: error.message }));
    return;
  }
  document.title = `${asset.name} · avpipe`;
  const shown = `${asset.state} ${(asset.links && asset.links.preview && asset.links.preview.url) || ""}`;
  if (shown !== shownState) render(asset);
  else updateState(asset);
  shownState = shown;
  if (asset.state === "queued" || asset.state === "processing") setTimeout(load, 1000);
}

function render(asset) {
  const head = el("div", { class: "asset-head" }, el("h1", { text: asset.title || asset.name }), badge(asset.state),
    el("span", { class: "state-text", text: asset.state === "processing" ? stateText(asset) : "" }),
    ...[verificationMark(asset)].filter(Boolean));
  const parts = [head];
  const check = asset.verification;
  if (check && !check.ok) {
    parts.push(el("ul", { class: "failure problems" }, check.problems.map((p) => el("li", { text: p }))));
  }
  if (asset.description) parts.push(el("p", { class: "lede description", text: asset.description }));
  if ((asset.tags || []).length) parts.push(el("p", { class: "tags", text: asset.tags.join(" · ") }));
  if (asset.state === "failed" && asset.error) parts.push(failure(asset));
  const side = el("aside", { class: "panel" }, el("h2", { text: "Details" }), facts(asset),
    el("h2", { text: "Files" }), links(asset), editor(asset), remover(asset));
  parts.push(el("div", { class: "asset-layout" }, el("section", { class: "panel player" }, player(asset)), side));
  if ((asset.history || []).length) {
    parts.push(el("h2", { text: "History" }), el("ol", { class: "history" },
      asset.history.map((h) => el("li", { text: `${formatDate(h.at)} — ${h.status}: ${h.message}` }))));
  }
  const playing = root.querySelector("video");  // a preview being watched goes on where it was in the ladder
  const resume = playing && playing.currentTime > 0 ? { at: playing.currentTime, play: !playing.paused } : null;
  root.replaceChildren(...parts);
  const video = root.querySelector("video");
  if (resume && video) {
    video.addEventListener("loadedmetadata", () => {
      video.currentTime = resume.at;
      if (resume.play) video.play().catch(() => {});
    }, { once: true });
  }
}

function updateState(asset) {
  const text = root.querySelector(".state-text");
  if (text) text.textContent = asset.state === "processing" ? stateText(asset) : "";
}

function failure(asset) {
  const button = el("button", { type: "button", class: "primary retry", text: "Retry" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await retry(asset.name);
      load();
    } catch (error) {
      button.disabled = false;
      button.textContent = `Retry (${error.message})`;
    }
  });
  return el("div", { class: "failure" },
    el("div", {}, el("strong", { text: `Failed at ${asset.error.step}: ` }), el("span", { class: "reason", text: asset.error.reason })),
    button);
}

function editor(asset) {
  if (asset.state === "processing" || asset.state === "queued") return null;
  const title = el("input", { name: "title", maxlength: "200", value: asset.title || "" });
  const description = el("textarea", { name: "description", maxlength: "5000", rows: "3" });
  description.value = asset.description || "";
  const tags = el("input", { name: "tags", value: (asset.tags || []).join(", "), placeholder: "comma-separated" });
  const status = el("span", { class: "edit-status" });
  const form = el("form", { class: "edit" }, el("h2", { text: "Labels" }),
    el("label", {}, "Title ", title), el("label", {}, "Description ", description), el("label", {}, "Tags ", tags),
    el("button", { type: "submit", text: "Save" }), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { title: title.value.trim() || null, description: description.value.trim() || null,
      tags: tags.value.split(",").map((t) => t.trim()).filter(Boolean) };
    try {
      const updated = await api(apiAssetUrl(asset.name), { method: "PATCH", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json" } });
      render(updated);
      shownState = updated.state;
    } catch (error) {
      status.textContent = error.message;
    }
  });
  return form;
}

function remover(asset) {
  if (asset.state === "processing" || asset.state === "queued") return null;
  return el("button", { type: "button", class: "delete", text: "Delete this asset",
    onclick: async (event) => {
      if (!confirm(`Delete ${asset.name} with every output and its original? This cannot be undone.`)) return;
      event.target.disabled = true;
      try {
        await api(apiAssetUrl(asset.name), { method: "DELETE" });
        location.assign("/library");
      } catch (error) {
        event.target.disabled = false;
        event.target.textContent = `Delete (${error.message})`;
      }
    } });
}

function player(asset) {
  const outputs = (asset.links && asset.links.outputs) || [];
  const renditions = outputs.filter((o) => o.kind === "rendition").sort((a, b) => (b.rung || 0) - (a.rung || 0));
  const audio = outputs.find((o) => o.kind === "audio");
  if (renditions.length && !(asset.state === "processing" && asset.links.preview)) return videoPlayer(asset, renditions);
  if (asset.links && asset.links.preview) return previewPlayer(asset, asset.links.preview);
  if (audio) return el("audio", { controls: true, preload: "metadata", src: audio.url });
  if (asset.links && asset.links.thumbnail) return el("img", { src: asset.links.thumbnail, alt: "", class: "still" });
  return el("p", { class: "lede", text: asset.state === "complete" ? "Nothing to play for this asset." : "Not ready yet." });
}

const HLS_TYPE = "application/vnd.apple.mpegurl";

function previewPlayer(asset, preview) {
  // while the ladder is made: one MP4 (the upload remuxed, or its lowest rung made first)
  const video = el("video", { controls: true, preload: "metadata", playsinline: true, src: preview.url,
    poster: asset.links.thumbnail, class: "preview" });
  return [video, el("p", { class: "lede preview-note",
    text: "Preview: playable now; the full-quality stream and every rendition follow when processing is done." })];
}

function videoPlayer(asset, renditions) {
  // the HLS master when this browser plays HLS itself (automatic switching), else a progressive MP4
  const probe = document.createElement("video");
  const hls = (asset.links.outputs || []).find((o) => o.kind === "hls" && probe.canPlayType(HLS_TYPE));
  const choices = [...(hls ? [{ url: hls.url, label: "Auto (HLS)" }] : []), ...renditions];
  const start = hls ? choices[0] : renditions.find((r) => (r.rung || 0) <= 720) || renditions[renditions.length - 1];
  const video = el("video", { controls: true, preload: "metadata", playsinline: true, src: start.url,
    poster: asset.links.thumbnail });
  const captions = asset.links.captions || [];
  if (captions.some((c) => /^https?:/.test(c.url))) video.crossOrigin = "anonymous";
  captions.forEach((c, i) => video.append(el("track", { kind: "captions", src: c.url, label: c.label,
    srclang: c.language || "und", default: i === 0 })));
  const select = el("select", { id: "rendition", "aria-label": "Rendition" },
    choices.map((r) => el("option", { value: r.url, selected: r === start,
      text: `${r.label}${r.width ? ` (${r.width}×${r.height})` : ""}` })));
  select.addEventListener("change", () => switchRendition(video, select.value));
  return [video, el("div", { class: "controls" }, el("label", { for: "rendition", text: "Rendition" }), select,
    el("a", { href: select.value, text: "Open file", id: "open-rendition" }))];
}

function switchRendition(video, url) {
  const at = video.currentTime;
  const wasPlaying = !video.paused;
  video.src = url;
  document.getElementById("open-rendition").href = url;
  video.addEventListener("loadedmetadata", () => {
    video.currentTime = at;
    if (wasPlaying) video.play().catch(() => {});
  }, { once: true });
}

function facts(asset) {
  const media = asset.media || {};
  const v = media.video;
  const a = (media.audio || [])[0];
  const rows = [
    ["Kind", asset.kind || "–"], ["State", stateText(asset)],
    ["Duration", formatDuration(media.duration_s)], ["Size", formatBytes(media.size_bytes)],
    ["Container", media.container || "–"],
    v && ["Video", `${v.codec}, ${v.display_width}×${v.display_height}` +
      (v.frame_rate ? `, ${Number(v.frame_rate.toFixed(3))} fps` : "") + (v.rotation ? `, rotated ${v.rotation}°` : "")],
    a && ["Audio", `${a.codec}` + (a.channels ? `, ${a.channels} ch` : "") +
      (a.sample_rate ? `, ${a.sample_rate / 1000} kHz` : "")],
    ["Captions", (asset.captions || []).map((c) => `${c.language || "default"} (${c.status}${c.cues ? `, ${c.cues} cues` : ""})`).join(", ") || "none"],
    ["Uploaded", formatDate(asset.created_at)], ["Completed", formatDate(asset.completed_at)],
  ].filter(Boolean);
  return el("dl", { class: "facts" }, rows.flatMap(([k, val]) => [el("dt", { text: k }), el("dd", { text: val })]));
}

function links(asset) {
  const l = asset.links || {};
  const items = [
    ...(l.outputs || []).filter((o) => o.kind !== "stream")  // segments and variant playlists: the master lists them
      .map((o) => [o.label + (o.width ? ` ${o.width}×${o.height}` : ""), o.kind, o.url]),
    l.preview && ["Preview (while processing)", "preview", l.preview.url],
    ...(l.captions || []).map((c) => [`${c.label}.vtt`, "captions", c.url]),
    l.thumbnail && ["thumbnail.jpg", "thumbnail", l.thumbnail],
    l.original && ["original", "original", l.original],
    l.manifest && ["manifest.json", "metadata", l.manifest],
  ].filter(Boolean);
  if (!items.length) return el("p", { class: "lede", text: "No files yet." });
  return el("ul", { class: "links" }, items.map(([label, kind, url]) =>
    el("li", {}, el("a", { href: url, text: label }), el("span", { class: "kind", text: kind }))));
}

load();
