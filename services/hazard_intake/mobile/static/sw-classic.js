// For browsers without module service workers: the offline copy of the page only (reports
// waiting on the phone are sent while the page is open).
importScripts("/m/sw-cache.js");
