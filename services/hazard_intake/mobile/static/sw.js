// The page's service worker: the offline copy of the page (sw-cache.js), and Background Sync,
// which sends the reports waiting on the phone when the network is back, even after the page
// was closed. The browser fires "sync" once the phone is online; a run that leaves reports
// waiting fails, so the browser tries again later with its own back-off.
import "./sw-cache.js";
import { createApi } from "./api.js";
import { listReports, loadMeta, Sender } from "./outbox.js";

const SYNC_TAG = "xiaoan-outbox";
const MARGIN_MS = 60000;

async function sendWaiting() {
  const auth = await loadMeta("auth");
  // Without a valid log-in only the page can help (the teacher logs in again there).
  if (!auth || !auth.token || auth.exp * 1000 <= Date.now() + MARGIN_MS) return;
  const config = await (await fetch("/m/config.json")).json();
  const sender = new Sender({
    api: createApi(config, () => auth.token),
    auth: () => auth,
    onChange() {},
    onAuthNeeded() {},
  });
  await sender.runOnce();
  clearTimeout(sender.timer); // the browser schedules the next try, not a timer here
  // An open page redraws its lists: what it showed waiting may have been sent from here.
  for (const page of await self.clients.matchAll({ type: "window" })) {
    page.postMessage({ type: "outbox-changed" });
  }
  const left = (await listReports()).filter(
    (report) => report.state === "waiting" && report.user_id === auth.user_id,
  );
  if (left.length) throw new Error(left.length + " reports still waiting");
}

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(sendWaiting());
});
