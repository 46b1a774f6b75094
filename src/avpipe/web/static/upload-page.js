// The upload page: choose or drop files; each is sent in chunks, one file at a time.
import { api, authHeaders, el, formatBytes, setToken, token } from "./common.js";
import { ChunkedUpload } from "./uploader.js";

const queue = [];
let busy = false;
let chunkSize = 0;

const input = document.getElementById("files");
const drop = document.getElementById("drop");
const list = document.getElementById("queue");
const ready = api("/api/config").then(configure);

function configure(config) {
  const params = new URLSearchParams(location.search);
  chunkSize = Number(params.get("chunk_size")) || config.chunk_size;
  input.accept = config.accepted.join(",");
  document.getElementById("limits").textContent =
    `Up to ${formatBytes(config.max_upload)} per file, sent in ${formatBytes(chunkSize)} chunks. ` +
    `Accepted: ${config.accepted.join(" ")}`;
  if (config.token_required) {
    const box = document.getElementById("token-box");
    const field = document.getElementById("token");
    box.hidden = false;
    field.value = token();
    field.addEventListener("change", () => setToken(field.value.trim()));
  }
  document.body.dataset.ready = "true";
}

input.addEventListener("change", () => {
  addFiles(input.files);
  input.value = "";
});
for (const name of ["dragenter", "dragover"]) {
  drop.addEventListener(name, (event) => { event.preventDefault(); drop.classList.add("over"); });
}
for (const name of ["dragleave", "drop"]) {
  drop.addEventListener(name, () => drop.classList.remove("over"));
}
drop.addEventListener("drop", (event) => { event.preventDefault(); addFiles(event.dataTransfer.files); });

async function addFiles(chosen) {
  const files = [...chosen];
  await ready;
  for (const file of files) {
    const entry = makeEntry(file);
    queue.push(entry);
    list.append(entry.row);
  }
  pump();
}

function makeEntry(file) {
  const bar = el("span");
  const meta = el("div", { class: "meta", text: `${formatBytes(file.size)} · waiting` });
  const percent = el("span", { class: "percent", text: "0 %" });
  const cancel = el("button", { type: "button", text: "Cancel", class: "cancel" });
  const resume = el("button", { type: "button", text: "Resume", class: "resume", hidden: true });
  const row = el("li", { "data-name": file.name, "data-state": "waiting" },
    el("div", { class: "fname" }, file.name, " ", percent), el("div", { class: "actions" }, resume, cancel),
    meta, el("div", { class: "progress" }, bar));
  const entry = { file, row, upload: null };
  const setState = (state, detail) => {
    row.dataset.state = state;
    if (detail.startsWith("resuming")) row.dataset.resumed = detail;
    row.classList.toggle("done", state === "done");
    row.classList.toggle("error", state === "error");
    meta.textContent = `${formatBytes(file.size)} · ${state}${detail ? ": " + detail : ""}`;
    cancel.hidden = state === "done" || state === "cancelled";
    resume.hidden = state !== "error";
  };
  entry.upload = new ChunkedUpload(file, {
    chunkSize,
    headers: authHeaders(),
    onProgress: (fraction) => {
      bar.style.width = `${(fraction * 100).toFixed(1)}%`;
      percent.textContent = `${Math.floor(fraction * 100)} %`;
    },
    onState: setState,
  });
  entry.setState = setState;
  cancel.addEventListener("click", async () => {
    const index = queue.indexOf(entry);
    if (index >= 0) queue.splice(index, 1);
    await entry.upload.cancel();
  });
  resume.addEventListener("click", () => { queue.push(entry); setState("waiting", ""); pump(); });
  return entry;
}

async function pump() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const entry = queue.shift();
    entry.upload.headers = authHeaders();
    try {
      await entry.upload.start();
    } catch (error) {
      if (!entry.upload.cancelled) entry.setState("error", error.message);
    }
  }
  busy = false;
}
