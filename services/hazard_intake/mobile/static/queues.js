// The two lists under the form: reports waiting on this phone ("待发送"), and those sent lately.
import { formatTime, t } from "./i18n.js";
import { listReports, removeReport, saveReport, sentReports } from "./outbox.js";

const $ = (id) => document.getElementById(id);

function queueItem(title, lines, actions) {
  const li = document.createElement("li");
  const head = document.createElement("p");
  head.className = "title";
  head.textContent = title;
  li.appendChild(head);
  lines.forEach(([text, className]) => {
    const p = document.createElement("p");
    p.textContent = text;
    if (className) p.className = className;
    li.appendChild(p);
  });
  if (actions.length) {
    const row = document.createElement("div");
    row.className = "row";
    actions.forEach(([label, handler]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = label;
      button.addEventListener("click", handler);
      row.appendChild(button);
    });
    li.appendChild(row);
  }
  return li;
}

function stateOf(record, auth, sender) {
  if (sender.sending === record.key) return [t("正在发送…", "Sending…"), "state"];
  if (record.state === "attention") {
    return [t("需要处理：", "Needs attention: ") + t(record.message_zh, record.message_en), "state error"];
  }
  if (!auth || auth.user_id !== record.user_id) {
    return [t("登录上报人的账号后发送", "Sent once its reporter logs in"), "state"];
  }
  const tries = record.attempts
    ? t(`（已尝试 ${record.attempts} 次）`, ` (${record.attempts} attempt(s) so far)`) : "";
  return [t("等待网络，稍后自动重试", "Waiting for the network; retried automatically") + tries, "state"];
}

// Draw both lists. sender: the outbox Sender; auth: the valid log-in or null;
// categoryLabel(value): the category's label in the current language.
export async function renderQueues({ sender, auth, categoryLabel }) {
  const redraw = () => renderQueues({ sender, auth, categoryLabel });
  const records = await listReports();
  $("outbox-box").hidden = !records.length;
  $("outbox-count").textContent = String(records.length);
  $("outbox").replaceChildren(...records.map((record) => {
    const place = record.place ? record.place.point_name : t("风险点待识别", "Point to identify");
    const actions = [];
    if (record.state === "attention") {
      actions.push([t("重试", "Retry"), () => retry(record.key, sender, redraw)]);
    }
    actions.push([t("删除", "Delete"), () => discard(record.key, redraw)]);
    const li = queueItem(`${place} · ${categoryLabel(record.body.category)}`, [
      [record.body.description, "desc"],
      [t(`写于 ${formatTime(record.created_at)} · 照片 ${record.photos.length} 张`,
        `Written ${formatTime(record.created_at)} · ${record.photos.length} photo(s)`), "meta"],
      stateOf(record, auth, sender),
    ], actions);
    li.dataset.key = record.key;
    return li;
  }));
  const sent = await sentReports();
  $("sent-box").hidden = !sent.length;
  $("sent").replaceChildren(...sent.map((entry) => queueItem(
    `${entry.place ? entry.place.point_name : ""} · ${categoryLabel(entry.category)}`,
    [
      [entry.description, "desc"],
      [t(`已发送 ${formatTime(entry.sent_at)}`, `Sent ${formatTime(entry.sent_at)}`), "meta"],
      ...(entry.photos_left_out ? [[t(
        `${entry.photos_left_out} 张照片未通过检查，未附上`,
        `${entry.photos_left_out} photo(s) failed the checks and were left out`,
      ), "state error"]] : []),
    ],
    [],
  )));
}

async function retry(key) {
  const record = (await listReports()).find((r) => r.key === key);
  if (!record) return;
  await saveReport({ ...record, state: "waiting", message_zh: "", message_en: "" });
  await renderQueues();
  sender.flush();
}

async function discard(key) {
  if (!window.confirm(t("删除这条未发送的上报？", "Delete this unsent report?"))) return;
  await removeReport(key);
  renderQueues();
}

$("retry-all").addEventListener("click", () => sender.flush());
