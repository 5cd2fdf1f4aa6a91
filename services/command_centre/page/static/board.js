// The live board: log in at the registry, then poll the board and redraw it.
(function () {
  "use strict";
  const config = window.XIAOAN_CONFIG;
  const TOKEN_KEY = "xiaoan.token";
  const GRADE_LABELS = {
    red: ["红色", "Red"], orange: ["橙色", "Orange"], yellow: ["黄色", "Yellow"], blue: ["蓝色", "Blue"],
  };
  const STATUS_ORDER = ["reported", "assigned", "rectifying", "rectified", "closed", "rejected", "merged"];
  const STATUS_LABELS = {
    reported: ["已上报", "Reported"], assigned: ["已分派", "Assigned"], rectifying: ["整改中", "Rectifying"],
    // The same words as the services' (shared/vocabulary.py): one status, one label.
    rectified: ["已整改待验证", "Rectified, awaiting verification"], closed: ["已销号", "Verified and closed"],
    rejected: ["不予受理", "Rejected"], merged: ["已合并", "Merged"],
  };
  let lang = localStorage.getItem("xiaoan.lang") || "zh";
  let timer = null;
  let lastBoard = null;
  let lastDetail = null;
  let lastFigures = null;
  let period = "month";
  let figuresTimer = null;

  const CHINA = "Asia/Shanghai";
  const $ = (id) => document.getElementById(id);
  const pick = (pair) => (lang === "zh" ? pair[0] : pair[1]);

  function applyLanguage() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-zh]").forEach((el) => {
      el.textContent = el.dataset[lang];
    });
    $("lang").textContent = lang === "zh" ? "English" : "中文";
    if (lastBoard) render(lastBoard);
    if (lastDetail && !$("detail").hidden) renderDetail(lastDetail);
    if (lastFigures) renderFigures(lastFigures);
  }

  function text(value) {
    const span = document.createElement("span");
    span.textContent = value == null ? "—" : String(value);
    return span;
  }

  function cell(row, content) {
    const td = document.createElement("td");
    td.appendChild(content);
    row.appendChild(td);
  }

  function render(board) {
    lastBoard = board;
    const counts = $("counts");
    counts.replaceChildren();
    const total = document.createElement("div");
    total.className = "count";
    total.innerHTML = "<b></b><span></span>";
    total.querySelector("b").textContent = board.counts.total;
    total.querySelector("span").textContent = lang === "zh" ? "隐患总数" : "All hazards";
    counts.appendChild(total);
    STATUS_ORDER.filter((s) => board.counts.by_status[s]).forEach((status) => {
      const box = document.createElement("div");
      box.className = "count status-" + status;
      box.innerHTML = "<b></b><span></span>";
      box.querySelector("b").textContent = board.counts.by_status[status];
      box.querySelector("span").textContent = pick(STATUS_LABELS[status]);
      counts.appendChild(box);
    });

    const rows = $("rows");
    rows.replaceChildren();
    board.rows.forEach((item) => {
      const tr = document.createElement("tr");
      tr.dataset.hazardId = item.hazard_id;
      // A row opens by keyboard too: focusable, Enter or Space.
      tr.tabIndex = 0;
      tr.addEventListener("click", () => openDetail(item.hazard_id));
      tr.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          openDetail(item.hazard_id);
        }
      });
      cell(tr, text(when(item.reported_at)));
      cell(tr, text(item.school_name));
      cell(tr, text(item.point_name || item.grid_name));
      cell(tr, text(lang === "zh" ? item.category_label_zh : item.category_label_en));
      const grade = text(item.risk_grade ? pick(GRADE_LABELS[item.risk_grade]) : null);
      if (item.risk_grade) grade.className = "grade grade-" + item.risk_grade;
      cell(tr, grade);
      const description = text(item.description);
      if (item.flag_reason) {
        const flag = document.createElement("strong");
        flag.className = "row-flag";
        flag.textContent = lang === "zh" ? "⚠ 资料异常，未能分派 " : "⚠ Place data unreadable, not assigned ";
        description.prepend(flag);
      }
      cell(tr, description);
      const status = text(pick(STATUS_LABELS[item.status]));
      status.className = "status status-" + item.status;
      cell(tr, status);
      cell(tr, text(item.assignee ? item.assignee.name : null));
      rows.appendChild(tr);
    });
    $("empty").hidden = board.rows.length > 0;
    renderAlerts(board.alerts);
    $("updated").textContent = new Date().toLocaleTimeString(lang === "zh" ? "zh-CN" : "en", { timeZone: CHINA });
  }

  // Failed messages waiting for an operator: shown the moment the service announces one.
  function renderAlerts(alerts) {
    const banner = $("alerts");
    if (!alerts || !alerts.count) {
      banner.hidden = true;
      return;
    }
    const newest = alerts.latest[0];
    banner.textContent = lang === "zh"
      ? `⚠ ${alerts.count} 条消息处理失败，待运维处理（最新：${newest ? newest.queue : ""}）`
      : `⚠ ${alerts.count} failed message(s) wait for an operator (newest: ${newest ? newest.queue : ""})`;
    banner.hidden = false;
  }

  async function refresh() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return showLogin();
    try {
      const response = await fetch("/v1/board", { headers: { Authorization: "Bearer " + token } });
      if (response.status === 401) return showLogin();
      if (response.status === 403) {
        // A login whose role may not see the board: say so once, and stop asking.
        clearInterval(timer);
        $("stale").hidden = true;
        $("forbidden").hidden = false;
        return;
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      render(await response.json());
      $("stale").hidden = true;
      $("forbidden").hidden = true;
    } catch (err) {
      $("stale").hidden = false;
    }
  }

  // ------------------------------------------------------------------ figures

  // Days are China days, whatever the clock of the browser's machine says.
  function chinaDay(date) {
    return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(date);
  }

  function periodRange() {
    const today = chinaDay(new Date());
    if (period === "week") return [chinaDay(new Date(Date.now() - 6 * 86400000)), today];
    if (period === "year") return [today.slice(0, 4) + "-01", today.slice(0, 7)];
    return [today.slice(0, 7), today.slice(0, 7)];
  }

  const percent = (rate) => (rate == null ? "—" : (rate * 100).toFixed(1) + "%");

  function tile(container, value, zh, en, extraClass) {
    const box = document.createElement("div");
    box.className = "count" + (extraClass ? " " + extraClass : "");
    const number = document.createElement("b");
    number.textContent = value;
    const label = document.createElement("span");
    label.textContent = lang === "zh" ? zh : en;
    box.append(number, label);
    container.appendChild(box);
  }

  function renderFigures(figures) {
    lastFigures = figures;
    $("figures-range").textContent = figures.first_day + " — " + figures.last_day;
    const tiles = $("figure-tiles");
    tiles.replaceChildren();
    tile(tiles, figures.total, "隐患总数", "Hazards");
    tile(tiles, percent(figures.rectification_rate), "整改率", "Rectified");
    tile(tiles, percent(figures.on_time_rate), "按期整改率", "Rectified on time");
    const hours = figures.mean_hours_to_rectify;
    tile(tiles, hours == null ? "—" : hours.toFixed(1), "平均整改用时（小时）", "Mean hours to rectify");
    tile(tiles, figures.overdue_now, "当前逾期", "Overdue now", figures.overdue_now ? "status-reported" : "");
    tile(tiles, figures.major, "重大隐患", "Major hazards");
    const rows = $("area-rows");
    rows.replaceChildren();
    figures.areas.forEach((area) => {
      const tr = document.createElement("tr");
      [area.name || area.grid_id, area.total, percent(area.rectification_rate),
        percent(area.on_time_rate), area.overdue_now].forEach((value) => cell(tr, text(value)));
      rows.appendChild(tr);
    });
  }

  async function refreshFigures() {
    const [from, to] = periodRange();
    try {
      const query = "?from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to);
      const response = await call(config.casesUrl, "/v1/stats/summary" + query);
      // Figures are for those who manage a grid; others see the board alone.
      $("figures").hidden = response.status === 403 || response.status === 404;
      if ($("figures").hidden) return;
      if (!response.ok) throw new Error("HTTP " + response.status);
      renderFigures(await response.json());
    } catch (err) {
      $("stale").hidden = false;
    }
  }

  document.querySelectorAll(".periods button").forEach((button) => {
    button.addEventListener("click", () => {
      period = button.dataset.period;
      document.querySelectorAll(".periods button").forEach((other) => {
        other.classList.toggle("active", other === button);
      });
      refreshFigures();
    });
  });

  // ------------------------------------------------------------------ one hazard

  // A call to another service with the user's token; a 401 sends them back to the login.
  async function call(base, path, options) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const init = Object.assign({}, options || {});
    init.headers = Object.assign({ Authorization: "Bearer " + token }, init.headers || {});
    const response = await fetch(base + path, init);
    if (response.status === 401) {
      showLogin();
      throw new Error("logged out");
    }
    return response;
  }

  function errorOf(body, status) {
    if (body && body.error) return lang === "zh" ? body.error.message_zh : body.error.message_en;
    return "HTTP " + status;
  }

  // Every time shown is China time, whatever the browser's machine is set to.
  function when(value) {
    return value ? new Date(value).toLocaleString(lang === "zh" ? "zh-CN" : "en", { timeZone: CHINA }) : "—";
  }

  async function openDetail(hazardId) {
    const response = await call(config.casesUrl, "/v1/hazards/" + encodeURIComponent(hazardId));
    if (!response.ok) {
      $("stale").hidden = false;
      return;
    }
    renderDetail(await response.json());
    $("detail").hidden = false;
  }

  function fact(list, zh, en, value) {
    const dt = document.createElement("dt");
    dt.textContent = lang === "zh" ? zh : en;
    const dd = document.createElement("dd");
    dd.appendChild(value instanceof Node ? value : text(value));
    list.append(dt, dd);
  }

  function renderDetail(hazard) {
    lastDetail = hazard;
    $("detail").dataset.hazardId = hazard.hazard_id;
    $("detail-title").textContent = hazard.description;
    $("detail-flag").hidden = !hazard.flagged;
    const facts = $("detail-facts");
    facts.replaceChildren();
    const status = text(pick(STATUS_LABELS[hazard.status]));
    status.className = "status status-" + hazard.status;
    fact(facts, "状态", "Status", status);
    fact(facts, "学校", "School", hazard.school_name);
    fact(facts, "地点", "Place", hazard.point_name || hazard.grid_name);
    fact(facts, "类别", "Category", lang === "zh" ? hazard.category_label_zh : hazard.category_label_en);
    fact(facts, "风险等级", "Grade", hazard.risk_grade ? pick(GRADE_LABELS[hazard.risk_grade]) : null);
    fact(facts, "上报人", "Reported by", hazard.reporter.name + " · " + when(hazard.reported_at));
    fact(facts, "责任人", "Responsible", hazard.assignee ? hazard.assignee.name : null);
    const late = hazard.overdue ? (lang === "zh" ? "（已逾期）" : " (overdue)") : "";
    fact(facts, "整改期限", "Rectify by", when(hazard.rectify_by) + late);
    fillPhotos($("photos-before"), hazard.photo_ids);
    fillPhotos($("photos-after"), hazard.rectification_photo_ids);
    $("rectification-note").textContent = hazard.rectification_note || "";
    $("verify").hidden = !hazard.allowed_actions.includes("verify");
    $("verify-message").textContent = "";
    const timeline = $("timeline");
    timeline.replaceChildren();
    hazard.timeline.forEach((entry) => {
      const li = document.createElement("li");
      const time = document.createElement("time");
      time.textContent = when(entry.at);
      li.append(time, text(lang === "zh" ? entry.note_zh : entry.note_en));
      if (entry.actor) {
        const who = text("（" + entry.actor.name + "）");
        who.className = "who";
        li.appendChild(who);
      }
      timeline.appendChild(li);
    });
  }

  // Photos are shown only through media storage's short-lived URLs, and only those the user
  // may see; the others say so instead of breaking the layout.
  async function fillPhotos(container, ids) {
    container.replaceChildren();
    if (!ids.length) {
      const none = text(lang === "zh" ? "无照片" : "No photos");
      none.className = "photo-missing";
      container.appendChild(none);
      return;
    }
    const found = await Promise.all(ids.map(async (id) => {
      try {
        const response = await call(config.mediaUrl, "/v1/media/" + encodeURIComponent(id));
        return response.ok ? await response.json() : null;
      } catch (err) {
        return null;
      }
    }));
    container.replaceChildren();
    found.forEach((media) => {
      if (media && media.view_url) {
        const link = document.createElement("a");
        link.href = media.view_url;
        link.target = "_blank";
        link.rel = "noopener";
        const image = document.createElement("img");
        image.src = media.thumbnail_url || media.view_url;
        image.alt = lang === "zh" ? "隐患照片" : "Hazard photo";
        link.appendChild(image);
        container.appendChild(link);
      } else {
        const missing = text(lang === "zh" ? "照片不可查看或仍在检查" : "Photo not viewable or still being checked");
        missing.className = "photo-missing";
        container.appendChild(missing);
      }
    });
  }

  // randomUUID needs a secure origin; getRandomValues works on a plain-HTTP intranet address too.
  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function act(body) {
    const hazardId = $("detail").dataset.hazardId;
    $("verify-message").textContent = "";
    const response = await call(config.casesUrl, "/v1/hazards/" + encodeURIComponent(hazardId) + "/actions", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": newKey() },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) {
      $("verify-message").textContent = errorOf(answer, response.status);
      return;
    }
    $("verify").reset();
    renderDetail(answer);
    refresh();
  }

  $("verify-pass").addEventListener("click", () => act({ action: "verify" }));
  $("verify-fail").addEventListener("click", () => {
    const reason = $("verify").elements.reason.value.trim();
    if (reason.length < 2) {
      $("verify-message").textContent = lang === "zh" ? "请写明不通过的原因" : "Say why it fails";
      return;
    }
    act({ action: "fail_verification", reason: reason });
  });
  $("detail-close").addEventListener("click", () => {
    $("detail").hidden = true;
    lastDetail = null;
  });

  function showLogin() {
    clearInterval(timer);
    clearInterval(figuresTimer);
    sessionStorage.removeItem(TOKEN_KEY);
    $("board").hidden = true;
    $("detail").hidden = true;
    $("logout").hidden = true;
    $("who").textContent = "";
    $("login").hidden = false;
  }

  // The person's name from the token's claims (shown only; the services check the token).
  function personName(token) {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
      const claims = JSON.parse(new TextDecoder().decode(bytes));
      return claims.name || claims.preferred_username || "";
    } catch (err) {
      return "";
    }
  }

  function showBoard() {
    $("login").hidden = true;
    $("board").hidden = false;
    $("logout").hidden = false;
    $("who").textContent = personName(sessionStorage.getItem(TOKEN_KEY) || "");
    refresh();
    clearInterval(timer);
    timer = setInterval(refresh, config.refreshMs);
    // The figures move more slowly than the board: every few refreshes is enough.
    refreshFigures();
    clearInterval(figuresTimer);
    figuresTimer = setInterval(refreshFigures, Math.max(5000, config.refreshMs * 5));
  }

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    $("login-error").textContent = "";
    try {
      const response = await fetch(config.tokenUrl, {
        method: "POST",
        body: new URLSearchParams({ username: form.get("username"), password: form.get("password") }),
      });
      const body = await response.json();
      if (!response.ok) {
        $("login-error").textContent = body.error ? (lang === "zh" ? body.error.message_zh : body.error.message_en) : response.status;
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, body.access_token);
      showBoard();
    } catch (err) {
      $("login-error").textContent = lang === "zh" ? "无法连接登录服务" : "Cannot reach the login service";
    }
  });
  $("logout").addEventListener("click", showLogin);
  $("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("xiaoan.lang", lang);
    applyLanguage();
  });

  applyLanguage();
  if (sessionStorage.getItem(TOKEN_KEY)) showBoard();
  else showLogin();
})();
