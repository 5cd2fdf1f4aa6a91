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
    rectified: ["待验证", "Awaiting verification"], closed: ["已销号", "Closed"],
    rejected: ["不予受理", "Rejected"], merged: ["已合并", "Merged"],
  };
  let lang = localStorage.getItem("xiaoan.lang") || "zh";
  let timer = null;
  let lastBoard = null;

  const $ = (id) => document.getElementById(id);
  const pick = (pair) => (lang === "zh" ? pair[0] : pair[1]);

  function applyLanguage() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-zh]").forEach((el) => {
      el.textContent = el.dataset[lang];
    });
    $("lang").textContent = lang === "zh" ? "English" : "中文";
    if (lastBoard) render(lastBoard);
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
      cell(tr, text(new Date(item.reported_at).toLocaleString(lang === "zh" ? "zh-CN" : "en")));
      cell(tr, text(item.school_name));
      cell(tr, text(item.point_name));
      cell(tr, text(lang === "zh" ? item.category_label_zh : item.category));
      const grade = text(item.risk_grade ? pick(GRADE_LABELS[item.risk_grade]) : null);
      if (item.risk_grade) grade.className = "grade grade-" + item.risk_grade;
      cell(tr, grade);
      cell(tr, text(item.description));
      const status = text(lang === "zh" ? item.status_label_zh : item.status_label_en);
      status.className = "status status-" + item.status;
      cell(tr, status);
      cell(tr, text(item.assignee ? item.assignee.name : null));
      rows.appendChild(tr);
    });
    $("empty").hidden = board.rows.length > 0;
    $("updated").textContent = new Date().toLocaleTimeString(lang === "zh" ? "zh-CN" : "en");
  }

  async function refresh() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return showLogin();
    try {
      const response = await fetch("/v1/board", { headers: { Authorization: "Bearer " + token } });
      if (response.status === 401) return showLogin();
      if (!response.ok) throw new Error("HTTP " + response.status);
      render(await response.json());
      $("stale").hidden = true;
    } catch (err) {
      $("stale").hidden = false;
    }
  }

  function showLogin() {
    clearInterval(timer);
    sessionStorage.removeItem(TOKEN_KEY);
    $("board").hidden = true;
    $("logout").hidden = true;
    $("who").textContent = "";
    $("login").hidden = false;
  }

  function showBoard(username) {
    $("login").hidden = true;
    $("board").hidden = false;
    $("logout").hidden = false;
    $("who").textContent = username || "";
    refresh();
    clearInterval(timer);
    timer = setInterval(refresh, config.refreshMs);
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
      sessionStorage.setItem("xiaoan.user", form.get("username"));
      showBoard(form.get("username"));
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
  if (sessionStorage.getItem(TOKEN_KEY)) showBoard(sessionStorage.getItem("xiaoan.user"));
  else showLogin();
})();
