// Reports waiting to be sent ("待发送"), kept in IndexedDB with their photos as blobs.
//
// A report is saved here, with the Idempotency-Key it was written with, before anything is
// sent; it leaves only when intake answered 2xx (or 422 idempotency_key_reused: that key
// already made the report). No answer or a 5xx keeps it for the next try; a refusal (4xx)
// marks it as needing attention, with the server's message.

import { Failure } from "./api.js";

const DB_NAME = "xiaoan-mobile";
const STORE = "reports";
const META = "meta"; // the log-in, for the service worker (it cannot read localStorage)
const SENT = "sent"; // in META
const LEGACY_SENT_KEY = "xiaoan.sent";
const SENT_KEEP = 10;
const RETRY_BASE_MS = 2000;
const RETRY_MAX_MS = 30000;
const SLOT_MARGIN_MS = 30000;
const MAX_SLOT_RENEWALS = 5;
const SENDER_LOCK = "xiaoan-outbox-sender";

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

let opening = null;
function database() {
  if (!opening) {
    const request = indexedDB.open(DB_NAME, 2);
    request.onupgradeneeded = () => {
      const names = request.result.objectStoreNames;
      if (!names.contains(STORE)) request.result.createObjectStore(STORE, { keyPath: "key" });
      if (!names.contains(META)) request.result.createObjectStore(META);
    };
    opening = promised(request);
  }
  return opening;
}

async function withStore(mode, fn, name = STORE) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    let result;
    Promise.resolve(fn(tx.objectStore(name))).then((value) => { result = value; });
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Pages served over plain http on a LAN have no randomUUID: build a v4 UUID by hand.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// A small value kept next to the reports (null removes it).
export function saveMeta(name, value) {
  return withStore("readwrite", (store) => promised(
    value == null ? store.delete(name) : store.put(value, name),
  ), META);
}

export function loadMeta(name) {
  return withStore("readonly", (store) => promised(store.get(name)), META);
}

export function listReports() {
  return withStore("readonly", (store) => promised(store.getAll())).then((all) =>
    all.sort((a, b) => a.created_at.localeCompare(b.created_at)),
  );
}

export function saveReport(record) {
  return withStore("readwrite", (store) => promised(store.put(record)));
}

export function removeReport(key) {
  return withStore("readwrite", (store) => promised(store.delete(key)));
}

// Change a stored report in one transaction; a report deleted meanwhile stays deleted.
function updateReport(key, change) {
  return withStore("readwrite", async (store) => {
    const current = await promised(store.get(key));
    if (!current) return null;
    change(current);
    store.put(current);
    return current;
  });
}

// Recently sent reports ("已发送"), newest first. They live in IndexedDB next to the waiting
// ones because the service worker sends reports too; pages before it kept them in localStorage.
export async function sentReports() {
  const list = await loadMeta(SENT);
  return Array.isArray(list) ? list : legacySent();
}

function legacySent() {
  try {
    const list = JSON.parse(globalThis.localStorage?.getItem(LEGACY_SENT_KEY) || "[]");
    return Array.isArray(list) ? list : [];
  } catch (err) {
    return [];
  }
}

// Take a sent report off the waiting list and onto the sent one, in one transaction: a phone
// switched off in between loses neither.
async function moveToSent(record, answer) {
  const entry = {
    key: record.key,
    report_id: answer ? answer.report_id : null,
    description: record.body.description,
    category: record.body.category,
    photos_left_out: record.photos.filter((p) => p.left_out).length,
    place: record.place,
    written_at: record.created_at,
    sent_at: new Date().toISOString(),
  };
  const legacy = legacySent();
  const db = await database();
  await new Promise((resolve, reject) => {
    const tx = db.transaction([STORE, META], "readwrite");
    tx.objectStore(STORE).delete(record.key);
    const meta = tx.objectStore(META);
    promised(meta.get(SENT)).then((stored) => {
      const earlier = Array.isArray(stored) ? stored : legacy;
      const list = [entry, ...earlier.filter((s) => s.key !== record.key)].slice(0, SENT_KEEP);
      meta.put(list, SENT);
    });
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
  globalThis.localStorage?.removeItem(LEGACY_SENT_KEY);
}

export class Sender {
  // api: createApi(...); auth(): {token, user_id} or null; onChange(): redraw; onAuthNeeded().
  constructor({ api, auth, onChange, onAuthNeeded }) {
    this.api = api;
    this.auth = auth;
    this.onChange = onChange;
    this.onAuthNeeded = onAuthNeeded;
    this.running = null;
    this.again = false;
    this.failures = 0;
    this.timer = null;
    this.sending = null; // key of the report being sent now
    this.nextTryAt = null;
  }

  // Send every waiting report now (one run at a time; a call during a run asks for another).
  flush() {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.runOnce().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.flush();
      }
    });
    return this.running;
  }

  // One sender at a time across the page and its service worker (both send on reconnection):
  // the second waits, then finds what the first sent already gone from the list, instead of
  // uploading the same photos again under keys of its own.
  async runOnce() {
    clearTimeout(this.timer);
    this.timer = null;
    this.nextTryAt = null;
    if (!globalThis.navigator?.locks) return this.sendWaiting();
    return navigator.locks.request(SENDER_LOCK, () => this.sendWaiting());
  }

  async sendWaiting() {
    const who = this.auth();
    const waiting = (await listReports()).filter((r) => r.state === "waiting");
    if (!waiting.length) {
      this.failures = 0;
      return;
    }
    if (!who) {
      this.onAuthNeeded();
      return;
    }
    for (const record of waiting.filter((r) => r.user_id === who.user_id)) {
      this.sending = record.key;
      this.onChange();
      let outcome;
      try {
        outcome = await this.sendOne(record);
      } finally {
        this.sending = null;
      }
      this.onChange();
      if (outcome === "auth") {
        this.onAuthNeeded();
        return;
      }
      if (outcome === "later") {
        this.retryLater();
        return;
      }
    }
    this.failures = 0;
  }

  retryLater() {
    this.failures += 1;
    const base = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (this.failures - 1));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.nextTryAt = Date.now() + delay;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), delay);
    this.onChange();
  }

  // Returns "sent", "attention", "auth" or "later" (no network or the server is down).
  async sendOne(record) {
    try {
      if (!record.body.point_id && record.qr_token) await this.resolvePoint(record);
      const photoIds = [];
      for (let i = 0; i < record.photos.length; i += 1) {
        const mediaId = await this.storePhoto(record, i);
        if (mediaId) photoIds.push(mediaId);
      }
      const body = { ...record.body, photo_ids: photoIds };
      let answer = null;
      try {
        answer = await this.api.sendReport(record.key, body);
      } catch (failure) {
        if (failure.kind !== "reused") throw failure;
      }
      await moveToSent(record, answer);
      return "sent";
    } catch (failure) {
      if (failure.kind === "auth") return "auth";
      if (failure.kind === "rejected" || failure.kind === "reused") {
        await updateReport(record.key, (r) => {
          r.state = "attention";
          r.message_zh = failure.message_zh;
          r.message_en = failure.message_en;
        });
        return "attention";
      }
      await updateReport(record.key, (r) => {
        r.attempts = (r.attempts || 0) + 1;
        r.message_zh = failure.message_zh || "发送失败，稍后自动重试";
        r.message_en = failure.message_en || "Not sent; will retry";
      });
      if (!failure.kind) console.error(failure); // a bug, not the network: still keep the report
      return "later";
    }
  }

  async resolvePoint(record) {
    const resolved = await this.api.resolveQr(record.qr_token).catch((failure) => {
      if (failure.status === 404) {
        failure.kind = "rejected";
        failure.message_zh = "二维码无效或已停用，请重新扫码";
        failure.message_en = "This QR code is unknown or was revoked; scan again";
      }
      throw failure;
    });
    record.body.point_id = resolved.point_id;
    record.place = placeOf(resolved);
    await updateReport(record.key, (r) => {
      r.body.point_id = resolved.point_id;
      r.place = record.place;
    });
  }

  // Upload one photo (slot, upload, confirm), saving progress so a retry resumes where it was.
  // Returns its media id, or null when media storage refused the image itself (not a photo,
  // unreadable, too many pixels): trying again cannot help, and the report goes without it.
  async storePhoto(record, index) {
    const photo = record.photos[index];
    if (photo.left_out) return null;
    for (let renewals = 0; !photo.media_confirmed; renewals += 1) {
      if (renewals > MAX_SLOT_RENEWALS) {
        throw new Failure("rejected", 0, "照片无法上传，请删除后重新拍摄",
          "The photo cannot be uploaded; delete it and take it again");
      }
      const expired = photo.slot && Date.parse(photo.slot.expires_at) - SLOT_MARGIN_MS < Date.now();
      if (!photo.slot_key || expired) {
        photo.slot_key = newKey();
        photo.slot = null;
        photo.uploaded = false;
      }
      if (!photo.slot) {
        photo.slot = await this.api.requestSlot(photo.blob, photo.slot_key);
        await this.savePhoto(record.key, index, photo);
      }
      try {
        if (!photo.uploaded) {
          await this.api.upload(photo.slot, photo.blob);
          photo.uploaded = true;
          await this.savePhoto(record.key, index, photo);
        }
        await this.api.confirm(photo.slot.media_id);
        photo.media_confirmed = true;
        await this.savePhoto(record.key, index, photo);
      } catch (failure) {
        if (failure.code === "media_rejected") {
          photo.left_out = true;
          await this.savePhoto(record.key, index, photo);
          return null;
        } else if (failure.code === "not_uploaded") {
          photo.uploaded = false;
        } else if (failure.kind === "refused" || failure.code === "size_mismatch") {
          photo.slot_key = null; // this slot is spent: ask for a new one
        } else {
          throw failure;
        }
      }
    }
    return photo.slot.media_id;
  }

  savePhoto(key, index, photo) {
    return updateReport(key, (r) => {
      r.photos[index] = { ...photo };
    });
  }
}

export function placeOf(resolved) {
  return {
    point_id: resolved.point_id,
    point_name: resolved.point_name,
    school_name: resolved.school_name,
    grid_name: resolved.grid_name,
  };
}
