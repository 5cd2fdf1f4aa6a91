// Who is logged in on this phone. The token stays in localStorage (not sessionStorage) so that
// reports written offline can be sent later, after the browser was closed.
import { saveMeta } from "./outbox.js";

const AUTH_KEY = "xiaoan.mobile.auth";
const MARGIN_MS = 60000;

function claimsOf(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

// The last log-in, even expired: {token, user_id, name, username, exp}, or null.
export function savedAuth() {
  try {
    return JSON.parse(localStorage.getItem(AUTH_KEY) || "null");
  } catch (err) {
    return null;
  }
}

// The log-in if it is still valid for a minute: sending with an expired token only earns a 401.
export function validAuth() {
  const auth = savedAuth();
  return auth && auth.token && auth.exp * 1000 > Date.now() + MARGIN_MS ? auth : null;
}

// The service worker sends waiting reports after the page was closed (Background Sync): it
// reads the log-in from IndexedDB, kept equal to the one here.
export function mirrorLogin() {
  return saveMeta("auth", savedAuth()).catch(() => {});
}

// Keep the registry's answer to a log-in (the token's claims name the user).
export function rememberLogin(accessToken, username) {
  const claims = claimsOf(accessToken);
  localStorage.setItem(AUTH_KEY, JSON.stringify({
    token: accessToken, user_id: claims.sub, name: claims.name, username, exp: claims.exp,
  }));
  return mirrorLogin();
}

// The token was refused: drop it but remember who it was, to offer the same username again.
export function dropToken() {
  const auth = savedAuth();
  if (auth) localStorage.setItem(AUTH_KEY, JSON.stringify({ ...auth, token: null }));
  mirrorLogin();
  return auth;
}

export function forgetLogin() {
  localStorage.removeItem(AUTH_KEY);
  return mirrorLogin();
}
