// A small chunked uploader speaking plupload's multipart protocol
// (fields name, chunk, chunks, file field "file"; we also send total, the file size, and
// upload_id, a fingerprint of the file, so two people sending the same name are never spliced).
// Before sending it asks the server which chunks are already stored and skips them,
// so an interrupted upload resumes. A failed chunk is retried with a growing pause.

const RETRYABLE = new Set([0, 408, 425, 429, 500, 502, 503, 504]);

export class ChunkedUpload {
  constructor(file, { chunkSize, headers = {}, maxRetries = 3, retryDelayMs = 400, onProgress, onState } = {}) {
    this.file = file;
    this.chunkSize = Math.max(1, chunkSize || 4 * 1024 * 1024);
    this.chunks = Math.max(1, Math.ceil(file.size / this.chunkSize));
    this.headers = headers;
    this.maxRetries = maxRetries;
    this.retryDelayMs = retryDelayMs;
    this.onProgress = onProgress || (() => {});
    this.onState = onState || (() => {});
    this.stored = new Set();
    this.xhr = null;
    this.cancelled = false;
    this.result = null;
    this.uploadId = `${file.name}|${file.size}|${file.lastModified || 0}`;
  }

  query() {
    return `name=${encodeURIComponent(this.file.name)}&upload_id=${encodeURIComponent(this.uploadId)}`;
  }

  chunkBytes(index) {
    const start = index * this.chunkSize;
    return Math.min(this.chunkSize, this.file.size - start);
  }

  async start() {
    this.cancelled = false;
    this.onState("checking", "");
    await this.loadStored();
    if (this.stored.size) this.onState("uploading", `resuming: ${this.stored.size} of ${this.chunks} chunks already stored`);
    else this.onState("uploading", "");
    for (let index = 0; index < this.chunks; index += 1) {
      if (this.stored.has(index)) continue;
      const answer = await this.sendWithRetries(index);
      this.stored.add(index);
      if (answer.complete) this.result = answer;
      this.report(0);
    }
    this.onProgress(1);
    this.onState("done", this.result && this.result.key ? `stored as ${this.result.key}` : "stored");
    return this.result;
  }

  async loadStored() {
    const url = `/upload/status?${this.query()}`;
    const response = await fetch(url, { headers: this.headers });
    if (!response.ok) throw new Error(await errorMessage(response));
    const status = await response.json();
    const sameUpload = status.chunks === this.chunks && status.total === this.file.size;
    if (!sameUpload && status.stored.length) {
      await this.discard();  // parts of a different attempt: start clean
      return;
    }
    this.stored = new Set(status.stored.filter((i) => status.sizes[String(i)] === this.chunkBytes(i)));
    this.report(0);
  }

  report(loadedOfCurrent) {
    let done = loadedOfCurrent;
    for (const index of this.stored) done += this.chunkBytes(index);
    this.onProgress(this.file.size ? Math.min(1, done / this.file.size) : 1);
  }

  async sendWithRetries(index) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.send(index);
      } catch (error) {
        if (this.cancelled || !error.retryable || attempt >= this.maxRetries) throw error;
        this.onState("uploading", `chunk ${index + 1} failed, retrying (${attempt + 1}/${this.maxRetries})`);
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * 2 ** attempt));
      }
    }
  }

  send(index) {
    const start = index * this.chunkSize;
    const form = new FormData();
    form.append("name", this.file.name);
    form.append("chunk", String(index));
    form.append("chunks", String(this.chunks));
    form.append("total", String(this.file.size));
    form.append("upload_id", this.uploadId);
    form.append("file", this.file.slice(start, start + this.chunkSize), "blob");
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      this.xhr = xhr;
      xhr.open("POST", "/upload");
      for (const [key, value] of Object.entries(this.headers)) xhr.setRequestHeader(key, value);
      xhr.upload.onprogress = (event) => this.report(event.loaded * (this.chunkBytes(index) / (event.total || 1)));
      xhr.onload = () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (_) { body = null; }
        if (xhr.status >= 200 && xhr.status < 300 && body) return resolve(body);
        const message = (body && body.error && body.error.message) || `upload failed (${xhr.status})`;
        reject(Object.assign(new Error(message), { retryable: RETRYABLE.has(xhr.status) }));
      };
      xhr.onerror = () => reject(Object.assign(new Error("network error"), { retryable: true }));
      xhr.onabort = () => reject(Object.assign(new Error("cancelled"), { retryable: false }));
      xhr.send(form);
    });
  }

  async cancel() {
    this.cancelled = true;
    if (this.xhr) this.xhr.abort();
    await this.discard();
    this.onState("cancelled", "cancelled; stored chunks removed");
  }

  async discard() {
    const url = `/upload?${this.query()}`;
    await fetch(url, { method: "DELETE", headers: this.headers });
    this.stored = new Set();
  }
}

async function errorMessage(response) {
  const body = await response.json().catch(() => null);
  return (body && body.error && body.error.message) || `${response.status} ${response.statusText}`;
}
