// The teachers' phone page: log in, scan the point's QR code, pick, photograph, write, send.
// Every report is saved on the phone first (outbox.js) and sent from there.
import { createApi } from "./api.js";
import { dropToken, forgetLogin, mirrorLogin, rememberLogin, savedAuth, validAuth } from "./auth.js";
import { applyLanguage, onLanguageChange, t, toggleLanguage } from "./i18n.js";
import { listReports, newKey, placeOf, saveReport, Sender } from "./outbox.js";
import { preparePhoto } from "./photos.js";
import { renderQueues as drawQueues } from "./queues.js";
import { canDetect, canScanLive, scanImage, scanLive, tokenFrom } from "./scanner.js";

const $ = (id) => document.getElementById(id);
const POINTS_KEY = "xiaoan.mobile.points"; // QR codes resolved before, to show them offline
const POINTS_KEEP = 50;
// The report being written survives a reload (phones drop the tab while the camera is open).
const DRAFT_KEY = "xiaoan.mobile.draft";

let config = null;
let api = null;
let sender = null;
const draft = { token: null, resolved: null, photos: [] };

// --- log-in -------------------------------------------------------------------------------

function showLogin(expired) {
  $("report").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("login-note").hidden = !expired;
  $("login-note").textContent = t(
    "登录已过期，请重新登录。未发送的上报仍保存在手机上，登录后自动发送。",
    "Your log-in expired; log in again. Unsent reports stay on this phone and are sent after.",
  );
  const auth = savedAuth();
  if (auth && !$("username").value) $("username").value = auth.username;
}

function showReport() {
  const auth = savedAuth();
  $("login").hidden = true;
  $("report").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = auth ? auth.name || auth.username : "";
  if (draft.token) choosePoint(draft.token);
}

function authNeeded() {
  showLogin(!!dropToken());
  renderQueues();
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  const username = $("username").value.trim();
  const password = $("password").value;
  if (!username || !password) {
    $("login-error").textContent = t("请输入用户名和密码", "Enter your username and password");
    return;
  }
  try {
    const answer = await api.login(username, password);
    rememberLogin(answer.access_token, username);
    $("password").value = "";
    showReport();
    sender.flush();
  } catch (failure) {
    $("login-error").textContent = failure.kind === "network" || !failure.message_zh
      ? t("无法连接登录服务，请检查网络", "Cannot reach the log-in service; check the network")
      : t(failure.message_zh, failure.message_en);
  }
});

$("logout").addEventListener("click", () => {
  forgetLogin();
  showLogin(false);
  renderQueues();
});

// --- the risk point -----------------------------------------------------------------------

function knownPoints() {
  try {
    return JSON.parse(localStorage.getItem(POINTS_KEY) || "{}");
  } catch (err) {
    return {};
  }
}

function rememberPoint(token, resolved) {
  const points = { ...knownPoints(), [token]: { ...resolved, seen: Date.now() } };
  const newest = Object.entries(points).sort((a, b) => b[1].seen - a[1].seen).slice(0, POINTS_KEEP);
  localStorage.setItem(POINTS_KEY, JSON.stringify(Object.fromEntries(newest)));
}

function showPoint(resolved) {
  $("point-entry").hidden = true;
  $("point-card").hidden = false;
  $("point-pending").hidden = !!resolved;
  $("point-name").textContent = resolved ? resolved.point_name : t("风险点待识别", "Point not yet identified");
  $("point-where").textContent = resolved
    ? [resolved.school_name, resolved.grid_name].filter(Boolean).join(" · ") : "";
  $("point-responsible").textContent = resolved && resolved.responsible
    ? t("责任人：", "Responsible: ") + resolved.responsible.name : "";
  const checks = resolved ? resolved.check_items || [] : [];
  $("checks-box").hidden = !checks.length;
  $("checks").replaceChildren(...checks.map((item) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "chip";
    button.textContent = item;
    button.addEventListener("click", () => addToDescription(item));
    li.appendChild(button);
    return li;
  }));
}

function showPointEntry() {
  $("point-card").hidden = true;
  $("point-entry").hidden = false;
}

async function choosePoint(token) {
  draft.token = token;
  draft.resolved = null;
  $("point-error").textContent = "";
  const known = knownPoints()[token];
  if (known) {
    draft.resolved = known;
    showPoint(known);
  }
  saveDraft();
  if (!validAuth()) return; // resolved after log-in
  try {
    const resolved = await api.resolveQr(token);
    if (draft.token !== token) return;
    draft.resolved = resolved;
    rememberPoint(token, resolved);
    showPoint(resolved);
    if (!document.querySelector("input[name=category]:checked")) selectCategory(resolved.category);
    saveDraft();
  } catch (failure) {
    if (draft.token !== token) return;
    if (failure.kind === "network") {
      if (!known) showPoint(null); // offline: keep the code, the point is identified when sent
    } else if (failure.kind === "auth") {
      authNeeded();
    } else {
      draft.token = null;
      draft.resolved = null;
      saveDraft();
      showPointEntry();
      $("point-error").textContent = failure.status === 404
        ? t("二维码无效或已停用，请联系学校管理员", "This QR code is unknown or was revoked")
        : t(failure.message_zh, failure.message_en);
    }
  }
}

function useCode(text) {
  const token = tokenFrom(text);
  if (!token) {
    $("point-error").textContent = t("这不是校安风险点的二维码", "This is not a Xiaoan risk-point code");
    return;
  }
  $("code").value = "";
  choosePoint(token);
}

$("code-go").addEventListener("click", () => useCode($("code").value));
$("code").addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    event.preventDefault();
    useCode($("code").value);
  }
});
$("point-change").addEventListener("click", () => {
  draft.token = null;
  draft.resolved = null;
  history.replaceState(null, "", "/m/");
  saveDraft();
  showPointEntry();
  $("code").focus();
});

let scanning = null;
$("scan").addEventListener("click", async () => {
  $("point-error").textContent = "";
  if (canScanLive()) {
    scanning = new AbortController();
    $("scanner").hidden = false;
    $("scanner-close").focus();
    try {
      const text = await scanLive($("scanner-video"), scanning.signal);
      if (text) useCode(text);
    } catch (err) {
      $("point-error").textContent = t(
        "无法打开相机：请允许本页使用相机，或用手机相机扫码、输入编码",
        "Cannot open the camera: allow it for this page, or scan with the camera app, or type the code",
      );
    } finally {
      $("scanner").hidden = true;
      scanning = null;
    }
  } else if (canDetect()) {
    $("scan-file").click();
  } else {
    $("scan-hint").hidden = false;
    $("code").focus();
  }
});
$("scanner-close").addEventListener("click", () => scanning && scanning.abort());
$("scanner").addEventListener("keydown", (event) => {
  if (event.key === "Escape" && scanning) scanning.abort();
});
$("scan-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  const text = await scanImage(file).catch(() => null);
  if (text) useCode(text);
  else $("point-error").textContent = t("没有识别到二维码，请重拍或输入编码", "No QR code found; try again or type it");
});

// --- category, photos, description ----------------------------------------------------------

function renderCategories() {
  const checked = document.querySelector("input[name=category]:checked");
  const value = checked ? checked.value : null;
  $("categories").replaceChildren(...config.categories.map((category) => {
    const label = document.createElement("label");
    label.className = "choice";
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "category";
    input.value = category.value;
    input.checked = category.value === value;
    const span = document.createElement("span");
    span.textContent = t(category.label_zh, category.label_en);
    label.append(input, span);
    return label;
  }));
}

function selectCategory(value) {
  const input = document.querySelector(`input[name=category][value="${value}"]`);
  if (input) input.checked = true;
}

function saveDraft() {
  const checked = document.querySelector("input[name=category]:checked");
  sessionStorage.setItem(DRAFT_KEY, JSON.stringify({
    token: draft.token,
    category: checked ? checked.value : null,
    description: $("description").value,
  }));
}

// Take back the draft of before a reload; a code in the address (a new scan) wins over its code.
function restoreDraft(scanned) {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "null");
  } catch (err) {
    saved = null;
  }
  if (saved && saved.category) selectCategory(saved.category);
  if (saved && saved.description) $("description").value = saved.description;
  draft.token = scanned || (saved && saved.token) || null;
}

$("categories").addEventListener("change", saveDraft);

function categoryLabel(value) {
  const category = config.categories.find((c) => c.value === value);
  return category ? t(category.label_zh, category.label_en) : value;
}

function renderPhotos() {
  $("photos").replaceChildren(...draft.photos.map((photo, index) => {
    const li = document.createElement("li");
    const img = document.createElement("img");
    img.src = photo.url;
    img.alt = t(`照片 ${index + 1}`, `Photo ${index + 1}`);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "×";
    remove.setAttribute("aria-label", t(`删除照片 ${index + 1}`, `Remove photo ${index + 1}`));
    remove.addEventListener("click", () => {
      URL.revokeObjectURL(photo.url);
      draft.photos.splice(index, 1);
      renderPhotos();
    });
    li.append(img, remove);
    return li;
  }));
  $("photo-button").disabled = draft.photos.length >= config.max_photos;
}

$("photo-button").addEventListener("click", () => $("photo-input").click());

$("photo-input").addEventListener("change", async (event) => {
  const files = Array.from(event.target.files);
  event.target.value = "";
  $("form-error").textContent = "";
  for (const file of files) {
    if (draft.photos.length >= config.max_photos) {
      $("form-error").textContent = t(`最多 ${config.max_photos} 张照片`, `At most ${config.max_photos} photos`);
      break;
    }
    const blob = await preparePhoto(file);
    if (!blob) {
      $("form-error").textContent = t("无法读取这张照片", "This photo cannot be read");
      continue;
    }
    draft.photos.push({ blob, url: URL.createObjectURL(blob) });
  }
  renderPhotos();
});

function addToDescription(text) {
  const box = $("description");
  const current = box.value.trim();
  box.value = current ? `${current}；${text}` : text;
  updateCount();
  saveDraft();
  box.focus();
}

function updateCount() {
  const length = $("description").value.trim().length;
  $("description-count").textContent = `${length} / ${config.description_max_length}`;
}
$("description").addEventListener("input", () => {
  $("form-status").textContent = ""; // a new report: the last one's outcome is old news
  updateCount();
  saveDraft();
});

// --- sending ------------------------------------------------------------------------------

function problemWithDraft(description) {
  if (!draft.token && !draft.resolved) {
    return t("请先扫描或输入风险点二维码", "Scan or type the risk point's QR code first");
  }
  if (!document.querySelector("input[name=category]:checked")) {
    return t("请选择隐患类别", "Pick a category");
  }
  if (description.length < config.description_min_length) {
    return t(`请写一句隐患描述（至少 ${config.description_min_length} 个字）`,
      `Describe the hazard (at least ${config.description_min_length} characters)`);
  }
  if (description.length > config.description_max_length) {
    return t(`描述不能超过 ${config.description_max_length} 个字`,
      `At most ${config.description_max_length} characters`);
  }
  return null;
}

$("report").addEventListener("submit", async (event) => {
  event.preventDefault();
  const description = $("description").value.trim();
  const problem = problemWithDraft(description);
  $("form-error").textContent = problem || "";
  if (problem) return;
  const now = new Date().toISOString();
  const body = {
    category: document.querySelector("input[name=category]:checked").value,
    description,
    submitted_at: now,
  };
  if (draft.resolved) body.point_id = draft.resolved.point_id;
  // Saved with its Idempotency-Key before the first try: a retry never makes a second report.
  const record = {
    key: newKey(),
    user_id: savedAuth().user_id,
    created_at: now,
    state: "waiting",
    attempts: 0,
    body,
    qr_token: draft.resolved ? null : draft.token,
    place: draft.resolved ? placeOf(draft.resolved) : null,
    photos: draft.photos.map((p) => ({ blob: p.blob, slot_key: null, slot: null })),
    message_zh: "",
    message_en: "",
  };
  $("send").disabled = true;
  try {
    await saveReport(record);
  } catch (err) {
    $("form-error").textContent = t("无法保存到手机，请检查存储空间", "Cannot save on this phone; check its storage");
    $("send").disabled = false;
    return;
  }
  clearDraft();
  requestBackgroundSync();
  $("send").disabled = false;
  $("form-status").textContent = t("已保存，正在发送…", "Saved; sending…");
  await renderQueues();
  await sender.flush();
  while (sender.running) await sender.running; // a run already going picks it up in its next
  const left = (await listReports()).find((r) => r.key === record.key);
  if (!left) {
    $("form-status").textContent = t("已发送，责任人会收到通知。", "Sent; the responsible person is notified.");
  } else if (left.state === "attention") {
    $("form-status").textContent = t("未被受理，请查看下方“待发送”。", "Not accepted; see “Waiting to send” below.");
  } else {
    $("form-status").textContent = t("已保存在手机上，联网后自动发送。", "Saved on this phone; it is sent when the network returns.");
  }
});

function clearDraft() {
  draft.photos.forEach((photo) => URL.revokeObjectURL(photo.url));
  draft.photos = [];
  renderPhotos();
  $("description").value = "";
  updateCount();
  const checked = document.querySelector("input[name=category]:checked");
  if (checked) checked.checked = false;
  saveDraft();
}


function renderQueues() {
  return drawQueues({ sender, auth: validAuth(), categoryLabel });
}

$("retry-all").addEventListener("click", () => sender.flush());

// --- start --------------------------------------------------------------------------------

function showNetwork() {
  $("network").hidden = navigator.onLine;
}

// Ask the browser to wake the service worker when the network is back, to send what waits
// even if the page is closed by then (Chromium-based browsers; elsewhere the page sends it).
async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker.ready;
    if (registration.sync) await registration.sync.register("xiaoan-outbox");
  } catch (err) {
    // No service worker or no Background Sync: the page's own retries remain.
  }
}

async function start() {
  applyLanguage();
  showNetwork();
  if ("serviceWorker" in navigator) {
    // A module worker sends waiting reports after the page is closed; where browsers have no
    // module workers, the classic one still keeps the page for offline use.
    navigator.serviceWorker.register("/m/sw.js", { scope: "/", type: "module" })
      .catch(() => navigator.serviceWorker.register("/m/sw-classic.js", { scope: "/" }))
      .catch(() => {});
  }
  mirrorLogin();
  try {
    config = await (await fetch("/m/config.json")).json();
  } catch (err) {
    $("form-error").textContent = t("页面未能加载，请联网后重试", "The page could not load; retry online");
    return;
  }
  api = createApi(config, () => (validAuth() || {}).token);
  sender = new Sender({ api, auth: validAuth, onChange: renderQueues, onAuthNeeded: authNeeded });
  renderCategories();
  renderPhotos();
  onLanguageChange(() => {
    renderCategories();
    renderPhotos();
    renderQueues();
    if (!$("point-card").hidden) showPoint(draft.resolved);
    if (!$("login").hidden) showLogin(!$("login-note").hidden);
  });

  const fromPath = location.pathname.match(/^\/q\/([^/]+)/);
  const fromQuery = new URLSearchParams(location.search).get("qr");
  restoreDraft(tokenFrom(fromPath ? decodeURIComponent(fromPath[1]) : fromQuery || ""));
  updateCount();

  if (validAuth()) showReport(); // resolves the scanned code, if any
  else showLogin(!!savedAuth());
  await renderQueues();

  window.addEventListener("online", () => {
    showNetwork();
    sender.flush();
  });
  window.addEventListener("offline", showNetwork);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "outbox-changed") renderQueues();
    });
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") sender.flush();
  });
  sender.flush();
}

$("lang").addEventListener("click", toggleLanguage);
start();
