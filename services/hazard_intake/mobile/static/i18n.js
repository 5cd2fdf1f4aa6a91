// Chinese first, English on request: the static text carries data-zh/data-en, the rest uses t().
const KEY = "xiaoan.lang";
let lang = localStorage.getItem(KEY) === "en" ? "en" : "zh";
const listeners = [];

export function currentLang() {
  return lang;
}

export function t(zh, en) {
  return lang === "zh" ? zh : en;
}

// Pick the language's half of an object carrying `<prefix>_zh` and `<prefix>_en`.
export function pick(obj, prefix) {
  if (!obj) return "";
  return lang === "zh" ? obj[prefix + "_zh"] : obj[prefix + "_en"];
}

export function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-zh]").forEach((el) => {
    el.textContent = el.dataset[lang];
  });
  const button = document.getElementById("lang");
  button.textContent = lang === "zh" ? "English" : "中文";
  button.lang = lang === "zh" ? "en" : "zh-CN";
  listeners.forEach((fn) => fn(lang));
}

export function onLanguageChange(fn) {
  listeners.push(fn);
}

export function toggleLanguage() {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem(KEY, lang);
  applyLanguage();
}

export function formatTime(iso) {
  const date = new Date(iso);
  return date.toLocaleString(lang === "zh" ? "zh-CN" : "en", {
    month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}
