// Photos leave the phone as JPEGs of at most 1600 px: a 12 MP photo would take minutes to send
// on a weak network. One this browser cannot decode goes as it is if media storage reads its
// type (JPEG, PNG, WebP, HEIC).
const MAX_EDGE = 1600;
const QUALITY = 0.8;

async function decode(file) {
  if (window.createImageBitmap) {
    try {
      return await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (err) {
      // fall through to <img>, which some browsers decode when createImageBitmap cannot
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

const SERVER_READS = ["image/jpeg", "image/png", "image/webp", "image/heic"];

// Return a JPEG blob of the photo, scaled down; the original when it cannot be decoded here but
// media storage reads its type; null otherwise.
export async function preparePhoto(file) {
  try {
    const image = await decode(file);
    const width = image.width;
    const height = image.height;
    const scale = Math.min(1, MAX_EDGE / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
    if (image.close) image.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    if (blob) return blob;
  } catch (err) {
    // not decodable here: keep the file itself if the server accepts its type
  }
  return SERVER_READS.includes(file.type) ? file : null;
}
