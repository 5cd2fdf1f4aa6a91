// Reading a QR code in the page: live from the camera where the browser has BarcodeDetector,
// else from a photo taken with the camera. Without BarcodeDetector the phone's own camera app
// reads the code and opens /q/<token>, which lands on this page with the code filled in.

const SCAN_EVERY_MS = 250;

function detector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    return new window.BarcodeDetector({ formats: ["qr_code"] });
  } catch (err) {
    return null;
  }
}

export function canDetect() {
  return detector() !== null;
}

export function canScanLive() {
  return canDetect() && !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

// The token in what a QR code (or the teacher) gives: a link ending in /q/<token>, or the token.
export function tokenFrom(text) {
  const value = (text || "").trim();
  if (!value) return "";
  const match = value.match(/\/q\/([^/?#\s]+)/);
  if (match) return decodeURIComponent(match[1]);
  return /^[A-Za-z0-9_-]+$/.test(value) ? value : "";
}

// Scan from the camera into `video` until a code is read or `signal` aborts; returns the text.
export async function scanLive(video, signal) {
  const reader = detector();
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: { ideal: "environment" } },
    audio: false,
  });
  try {
    video.srcObject = stream;
    await video.play();
    while (!signal.aborted) {
      const codes = await reader.detect(video).catch(() => []);
      if (codes.length) return codes[0].rawValue;
      await new Promise((resolve) => setTimeout(resolve, SCAN_EVERY_MS));
    }
    return null;
  } finally {
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
  }
}

// Read a QR code from a photo; returns its text or null.
export async function scanImage(file) {
  const reader = detector();
  if (!reader) return null;
  const bitmap = await createImageBitmap(file);
  try {
    const codes = await reader.detect(bitmap);
    return codes.length ? codes[0].rawValue : null;
  } finally {
    bitmap.close();
  }
}
