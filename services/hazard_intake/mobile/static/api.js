// Calls to the registry, media storage and intake, and what each answer means for a report.

// What a failed call means for the report being sent:
//   network  - no answer, a timeout, 5xx, 408/409/425/429: keep it and try again later;
//   auth     - 401: keep it, the teacher must log in again;
//   reused   - 422 idempotency_key_reused: this key already made a report, forget the copy;
//   refused  - the storage refused an upload (slot expired or rejected): ask for a new slot;
//   rejected - any other 4xx: needs the teacher's attention, with the server's message.
export class Failure extends Error {
  constructor(kind, status, zh, en, code) {
    super(en);
    this.kind = kind;
    this.status = status;
    this.message_zh = zh;
    this.message_en = en;
    this.code = code || "";
  }
}

const API_TIMEOUT_MS = 20000;
const UPLOAD_TIMEOUT_MS = 120000;
const RETRYABLE = new Set([408, 409, 425, 429]);

function unreachable() {
  return new Failure(
    "network", 0, "网络不可用或服务暂时无法访问", "No network, or the service cannot be reached",
  );
}

// fetch() with a deadline: on a bad network a request must not hang the queue forever.
async function send(url, options, timeoutMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetch(url, { ...options, signal: controller.signal, cache: "no-store" });
  } catch (err) {
    throw unreachable();
  } finally {
    clearTimeout(timer);
  }
}

async function failureFrom(response) {
  let error = null;
  try {
    error = (await response.json()).error || null;
  } catch (err) {
    error = null;
  }
  let zh = error && error.message_zh ? error.message_zh : "服务返回错误 " + response.status;
  let en = error && error.message_en ? error.message_en : "The service answered " + response.status;
  const details = (error && error.details) || [];
  if (details.length) {
    zh += "：" + details.map((d) => `${d.field}：${d.message_zh}`).join("；");
    en += ": " + details.map((d) => `${d.field}: ${d.message_en}`).join("; ");
  }
  const code = error ? error.code : "";
  let kind = "rejected";
  if (response.status === 401) kind = "auth";
  else if (response.status === 422 && code === "idempotency_key_reused") kind = "reused";
  else if (response.status >= 500 || RETRYABLE.has(response.status)) kind = "network";
  return new Failure(kind, response.status, zh, en, code);
}

async function readJson(response) {
  if (response.status === 204) return null;
  try {
    return await response.json();
  } catch (err) {
    throw unreachable(); // the answer was cut off: same as no answer
  }
}

export function createApi(config, getToken) {
  async function call(url, { method = "GET", body, key } = {}) {
    const headers = { Authorization: "Bearer " + getToken() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    const response = await send(
      url,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
      API_TIMEOUT_MS,
    );
    if (!response.ok) throw await failureFrom(response);
    return readJson(response);
  }

  return {
    async login(username, password) {
      const response = await send(
        config.token_url,
        { method: "POST", body: new URLSearchParams({ username, password }) },
        API_TIMEOUT_MS,
      );
      if (!response.ok) throw await failureFrom(response);
      return readJson(response);
    },

    resolveQr(token) {
      return call(`${config.registry_url}/v1/qr/${encodeURIComponent(token)}`);
    },

    requestSlot(blob, key) {
      const body = { content_type: blob.type, size_bytes: blob.size, purpose: "finding" };
      return call(`${config.media_url}/v1/uploads`, { method: "POST", body, key });
    },

    // Two slot shapes: a presigned POST policy (url + fields) or a presigned PUT (upload_url).
    async upload(slot, blob) {
      let response;
      if (slot.fields) {
        const form = new FormData();
        Object.entries(slot.fields).forEach(([name, value]) => form.append(name, value));
        form.append("file", blob, "photo." + (blob.type.split("/")[1] || "jpg"));
        response = await send(slot.url || slot.upload_url, { method: "POST", body: form },
          UPLOAD_TIMEOUT_MS);
      } else {
        response = await send(
          slot.upload_url || slot.url,
          { method: slot.method || "PUT", headers: slot.headers || {}, body: blob },
          UPLOAD_TIMEOUT_MS,
        );
      }
      if (response.ok) return;
      if (response.status >= 500) throw unreachable();
      throw new Failure("refused", response.status, "照片存储拒绝了上传", "The photo store refused the upload");
    },

    confirm(mediaId) {
      return call(`${config.media_url}/v1/media/${encodeURIComponent(mediaId)}/confirm`, {
        method: "POST",
      });
    },

    sendReport(key, body) {
      return call("/v1/reports", { method: "POST", body, key });
    },
  };
}
