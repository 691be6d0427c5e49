// The scene editor's page: draws the coloured label map, shows the synthesized photo, and sends
// each edit to the API, which answers with the new state. Every request goes through
// `globalThis.pix2pixhdFetch` when a page answers the API itself (web/: G runs on the page's
// WebGPU), else through `fetch` to the local server (cli/edit.ts); images and downloads are
// fetched the same way and shown from blobs.
"use strict";

const $ = (id) => document.getElementById(id);
const canvas = $("label-canvas");
const ctx = canvas.getContext("2d");
let state = null;
// The brush starts on road, not on "unlabeled".
const ROAD = 7;
let chosenClass = ROAD;
/** The class the eraser paints ("background"), road unless chosen. */
let eraseClass = ROAD;
/** The classes a street scene is mostly made of, first in the palette (Cityscapes' ids). */
const COMMON = [7, 8, 11, 21, 23, 26, 24, 25, 27, 28, 32, 33, 17, 19, 20, 22, 12, 13];
let selected = null;

function showError(text) {
  const m = $("message");
  m.textContent = text;
  m.hidden = !text;
}

// Every POST declares its body's type (the server refuses one that does not): JSON, or a PNG
// for an upload whatever type the browser guessed for the file.
async function call(method, path, body, raw) {
  const init = { method };
  if (raw !== undefined) {
    init.body = raw;
    init.headers = { "content-type": "image/png" };
  } else if (method === "POST") {
    init.body = JSON.stringify(body ?? {});
    init.headers = { "content-type": "application/json" };
  }
  const response = await apiFetch(new Request(path, init));
  const data = await response.json();
  if (!response.ok) {
    showError(data.error || `${response.status} ${response.statusText}`);
    return null;
  }
  showError("");
  return data;
}

/** The API's fetch: the page's own (`globalThis.pix2pixhdFetch`) or the network's. */
function apiFetch(request) {
  return (globalThis.pix2pixhdFetch ?? fetch)(request);
}

/** A GET's body as a blob; null (with the message shown) for a refusal. */
async function fetchBlob(path) {
  const response = await apiFetch(new Request(path));
  if (!response.ok) {
    const text = await response.text();
    let message = `${response.status} ${response.statusText}: ${path}`;
    try {
      message = JSON.parse(text).error || message;
    } catch {
      // Not JSON: the status line says what went wrong.
    }
    showError(message);
    return null;
  }
  return { blob: await response.blob(), disposition: response.headers.get("content-disposition") };
}

/** An image of a blob, loaded from an object URL that the caller revokes. */
function loadImage(blob) {
  const url = URL.createObjectURL(blob);
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(
        new Error(`Cannot show the image as it does not decode: current type is ${blob.type}`),
      );
    };
    img.src = url;
  });
}

/** The file name of a Content-Disposition (RFC 6266's filename* first), or `fallback`. */
function fileName(disposition, fallback) {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? "");
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="([^"]*)"/i.exec(disposition ?? "");
  return plain ? plain[1] : fallback;
}

/** Saves a download of the API as a file named by its Content-Disposition. */
async function download(path, fallback) {
  const got = await fetchBlob(path);
  if (!got) return;
  const url = URL.createObjectURL(got.blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName(got.disposition, fallback);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

async function refresh(next) {
  if (!next) return;
  state = next;
  $("undo").disabled = !state.canUndo;
  $("redo").disabled = !state.canRedo;
  const select = $("scene");
  if (select.options.length !== state.scenes.length) {
    select.replaceChildren(...state.scenes.map((name, i) => new Option(name, String(i))));
  }
  const index = state.scenes.indexOf(state.scene);
  if (index >= 0) select.value = String(index);
  if (!$("palette").childElementCount) buildPalette();
  const version = state.version;
  canvas.width = state.width;
  canvas.height = state.height;
  const label = await fetchBlob(`/api/label.png?v=${version}`);
  if (!label) return;
  const labelImage = await loadImage(label.blob);
  const overlay = $("overlay");
  if (overlay.src.startsWith("blob:")) URL.revokeObjectURL(overlay.src);
  overlay.src = labelImage.src;
  shownLabel = labelImage;
  sizeViews();
  drawLabel();
  $("busy").hidden = false;
  const photo = await fetchBlob(`/api/photo.png?v=${version}`);
  $("busy").hidden = true;
  if (!photo) return;
  const photoImage = await loadImage(photo.blob);
  const shown = $("photo");
  if (shown.src.startsWith("blob:")) URL.revokeObjectURL(shown.src);
  shown.src = photoImage.src;
  shown.dataset.version = String(version);
  if (state.version === version) document.body.dataset.version = String(version);
}

let shownLabel = null;

/** The label map, with the selected object's box outlined in white and black dashes. */
function drawLabel() {
  if (!shownLabel) return;
  ctx.drawImage(shownLabel, 0, 0);
  if (!selected) return;
  const [x, y, w, h] = selected.box;
  // Pixel by pixel round the box, 3 white then 3 black, so that it shows on every class.
  const edge = [];
  for (let i = 0; i < w; i++) edge.push([x + i, y]);
  for (let j = 1; j < h; j++) edge.push([x + w - 1, y + j]);
  for (let i = w - 2; i >= 0 && h > 1; i--) edge.push([x + i, y + h - 1]);
  for (let j = h - 2; j > 0 && w > 1; j--) edge.push([x, y + j]);
  edge.forEach(([px, py], k) => {
    ctx.fillStyle = Math.floor(k / 3) % 2 ? "#000" : "#fff";
    ctx.fillRect(px, py, 1, 1);
  });
}

function buildPalette() {
  const palette = $("palette");
  // Common classes first, then the rest by id; classes sharing a colour say with which.
  const rank = (c) => (COMMON.includes(c.id) ? COMMON.indexOf(c.id) : COMMON.length + c.id);
  const byColour = new Map();
  for (const c of state.classes) {
    const key = c.color.join(",");
    byColour.set(key, [...(byColour.get(key) ?? []), c]);
  }
  for (const c of [...state.classes].sort((a, b) => rank(a) - rank(b))) {
    const b = document.createElement("button");
    b.dataset.class = String(c.id);
    const twins = byColour.get(c.color.join(",")).filter((o) => o.id !== c.id);
    const shared = twins.length ? ` (same colour as ${twins.map((o) => o.name).join(", ")})` : "";
    b.title = `${c.id}: ${c.name}${c.thing ? " (objects)" : ""}${shared}`;
    if (twins.length) b.classList.add("shared");
    const swatch = document.createElement("i");
    swatch.style.background = `rgb(${c.color.join(",")})`;
    b.append(swatch, `${c.id} ${c.name}`);
    b.onclick = () => chooseClass(c.id);
    palette.append(b);
  }
  if (!state.classes[chosenClass]) chosenClass = 0;
  chooseClass(chosenClass);
  const erase = $("erase-class");
  erase.replaceChildren(
    ...[...state.classes].sort((a, b) => rank(a) - rank(b)).map((c) =>
      new Option(`${c.id} ${c.name}`, String(c.id))
    ),
  );
  erase.value = String(state.classes[eraseClass] ? eraseClass : ROAD);
}

function chooseClass(id) {
  chosenClass = id;
  remember();
  for (const b of $("palette").children) {
    b.classList.toggle("active", b.dataset.class === String(id));
  }
  $("current-class").textContent = `${id} ${state.classes[id].name}`;
}

function pixelOf(event) {
  const r = canvas.getBoundingClientRect();
  const x = Math.floor((event.clientX - r.left) * state.width / r.width);
  const y = Math.floor((event.clientY - r.top) * state.height / r.height);
  return [Math.min(state.width - 1, Math.max(0, x)), Math.min(state.height - 1, Math.max(0, y))];
}

/** Styles whose crops differ by less than this, on average per byte, look the same. */
const SAME_STYLES = 3;

async function select(point) {
  selected = null;
  $("variants").replaceChildren();
  $("variants-note").textContent = "";
  $("relabel").disabled = true;
  if (point === null) {
    $("selected").textContent = "none (click an object on the label map)";
    drawLabel();
    return;
  }
  const [x, y] = point;
  const object = await call("GET", `/api/object?x=${x}&y=${y}`);
  if (!object) return;
  selected = object;
  drawLabel();
  const name = state.classes[object.label].name;
  const style = object.style && "cluster" in object.style
    ? `, cluster ${object.style.cluster + 1} of ${object.clusters}`
    : "";
  $("selected").textContent = `instance ${object.id}: ${name}, ${object.area} px${style}`;
  $("selected").dataset.id = String(object.id);
  $("relabel").disabled = false;
  if (object.clusters > 0) {
    const variants = await call("GET", `/api/variants?id=${object.id}`);
    if (!variants || selected?.id !== object.id) return;
    const n = variants.images.length;
    $("variants").replaceChildren(...variants.images.map((src, k) => {
      const figure = document.createElement("figure");
      const img = document.createElement("img");
      img.src = src;
      img.dataset.cluster = String(k);
      img.title = `${name} in cluster ${k + 1} of ${n}`;
      img.classList.toggle("active", object.style?.cluster === k);
      img.onclick = () => setStyle(object.id, k);
      const caption = document.createElement("figcaption");
      caption.textContent = `cluster ${k + 1} of ${n}`;
      figure.append(img, caption);
      return figure;
    }));
    if (n > 1 && variants.spread < SAME_STYLES) {
      $("variants-note").textContent = `These ${n} styles of ${name} look nearly the same with ` +
        `this model (they differ by ${variants.spread.toFixed(1)} levels of 255 on average).`;
    }
    document.body.dataset.variants = String(object.id);
  }
}

async function setStyle(id, cluster) {
  const next = await call("POST", "/api/style", { id, cluster });
  if (!next) return;
  for (const img of $("variants").querySelectorAll("img")) {
    img.classList.toggle("active", img.dataset.cluster === String(cluster));
  }
  if (selected) selected.style = { cluster };
  await refresh(next);
}

/** The tool chosen: select, brush, eraser or fill. */
function tool() {
  return document.querySelector('input[name="tool"]:checked').value;
}

/** The brush's pixels as offsets from its top-left corner, as the scene paints them. */
function brushOffsets(size, shape) {
  const out = [];
  const centre = (size - 1) / 2, r2 = (size / 2) ** 2;
  for (let dy = 0; dy < size; dy++) {
    for (let dx = 0; dx < size; dx++) {
      if (shape === "square" || (dx - centre) ** 2 + (dy - centre) ** 2 <= r2) out.push([dx, dy]);
    }
  }
  return out;
}

let stroke = null;
canvas.addEventListener("pointerdown", (event) => {
  if (!state || event.button !== 0 || panning) return;
  const p = pixelOf(event);
  const t = tool();
  if (t === "brush" || t === "eraser") {
    const size = Number($("brush-size").value);
    stroke = {
      points: [],
      label: t === "eraser" ? Number($("erase-class").value) : chosenClass,
      size,
      shape: $("brush-shape").value,
      offsets: brushOffsets(size, $("brush-shape").value),
    };
    strokeTo(p);
    canvas.setPointerCapture(event.pointerId);
  } else if (t === "fill") {
    call("POST", "/api/fill", { x: p[0], y: p[1], label: chosenClass }).then(refresh);
  } else select(p);
});

/** Adds a point to the stroke and draws the brush there (the server paints the segments). */
function strokeTo(p) {
  stroke.points.push(p);
  ctx.fillStyle = `rgb(${state.classes[stroke.label].color.join(",")})`;
  const half = Math.floor((stroke.size - 1) / 2);
  for (const [dx, dy] of stroke.offsets) ctx.fillRect(p[0] - half + dx, p[1] - half + dy, 1, 1);
}

// Hovering shows the class and instance under the cursor (asked at most every 100 ms).
let hoverAt = 0;
canvas.addEventListener("pointermove", async (event) => {
  if (stroke || !state || performance.now() - hoverAt < 100) return;
  hoverAt = performance.now();
  const [x, y] = pixelOf(event);
  const response = await apiFetch(new Request(`/api/object?x=${x}&y=${y}`));
  if (!response.ok) return;
  const o = await response.json();
  const c = state.classes[o.label];
  $("hover").textContent = `(${x}, ${y}): ${o.label} ${c?.name ?? "?"}` +
    (c?.thing ? `, instance ${o.id}` : "");
});
canvas.addEventListener("pointerleave", () => $("hover").textContent = "");
canvas.addEventListener("pointermove", (event) => {
  if (stroke) strokeTo(pixelOf(event));
});
canvas.addEventListener("pointerup", async () => {
  if (!stroke) return;
  const { points, label, size, shape } = stroke;
  stroke = null;
  await refresh(await call("POST", "/api/paint", { points, label, size, shape }));
});

$("relabel").onclick = async () => {
  if (!selected) return;
  const next = await call("POST", "/api/relabel", { id: selected.id, label: chosenClass });
  await refresh(next);
  if (next) select(null);
};
$("undo").onclick = async () => refresh(await call("POST", "/api/undo"));
$("redo").onclick = async () => refresh(await call("POST", "/api/redo"));
// Keys, except while typing in a field: Ctrl-Z (⌘Z) undoes, Ctrl-Shift-Z and Ctrl-Y redo;
// S, B, E and F choose a tool; +, − and 0 zoom in, out and to fit; O shows the labels over the
// photo; Space held down pans with the mouse.
const TOOL_KEYS = { s: "tool-select", b: "tool-brush", e: "tool-eraser", f: "tool-fill" };
document.addEventListener("keydown", (event) => {
  if (event.target.closest?.("input, select, textarea")) return;
  const key = event.key.toLowerCase();
  if (event.ctrlKey || event.metaKey) {
    const redo = (key === "z" && event.shiftKey) || key === "y";
    if (key !== "z" && !redo) return;
    event.preventDefault();
    const button = $(redo ? "redo" : "undo");
    if (!button.disabled) button.click();
    return;
  }
  if (event.altKey) return;
  if (key === " ") {
    // Space pans; a focused button would also take it as a click.
    event.preventDefault();
    if (event.target instanceof HTMLButtonElement) event.target.blur();
    setPanning(true);
  } else if (TOOL_KEYS[key]) {
    $(TOOL_KEYS[key]).checked = true;
    remember();
  } else if (key === "+" || key === "=") zoomBy(1);
  else if (key === "-" || key === "_") zoomBy(-1);
  else if (key === "0") setZoom(1);
  else if (key === "o") {
    $("overlay-toggle").checked = !$("overlay-toggle").checked;
    showOverlay();
  }
});
document.addEventListener("keyup", (event) => {
  if (event.key === " ") setPanning(false);
});

// Zoom: both views show the same part of the scene at the same scale, and scroll together.
const ZOOMS = [1, 1.5, 2, 3, 4, 6, 8, 12, 16];
let zoom = 1;
const views = [$("label-view"), $("photo-view")];

/** Height kept under the images for the selected object's panel (its thumbnails). */
const SELECTION_ROOM = 180;

/**
 * Sizes both views as large as their column and the window's height (less the selection
 * panel's room) allow, at the scene's shape.
 */
function sizeViews() {
  if (!state) return;
  const aspect = state.width / state.height;
  for (const view of views) {
    const section = view.parentElement;
    let room = $("work").clientHeight - SELECTION_ROOM;
    for (const other of section.children) {
      if (other === view) continue;
      const margins = getComputedStyle(other);
      room -= other.offsetHeight + parseFloat(margins.marginTop) + parseFloat(margins.marginBottom);
    }
    // The view's border (2 px) is outside the image.
    const width = Math.max(64, Math.min(section.clientWidth - 2, (room - 2) * aspect));
    view.style.width = `${Math.floor(width)}px`;
    view.style.height = `${Math.floor(width / aspect)}px`;
  }
}
globalThis.addEventListener("resize", sizeViews);

/**
 * Zooms to `level`, keeping the scene point under `anchor` (a fraction of the view's width and
 * height; its centre by default) where it is.
 */
function setZoom(level, anchor = [0.5, 0.5]) {
  const view = views[0];
  const fx = view.scrollWidth
    ? (view.scrollLeft + anchor[0] * view.clientWidth) / view.scrollWidth
    : 0.5;
  const fy = view.scrollHeight
    ? (view.scrollTop + anchor[1] * view.clientHeight) / view.scrollHeight
    : 0.5;
  zoom = level;
  for (const v of views) {
    v.querySelector(".zoom").style.width = `${100 * zoom}%`;
    // At 1 the image fills the view exactly: no scroll bar for a rounding pixel.
    v.style.overflow = zoom === 1 ? "hidden" : "auto";
  }
  $("zoom-level").textContent = `${Math.round(100 * zoom)}%`;
  document.body.dataset.zoom = String(zoom);
  view.scrollLeft = fx * view.scrollWidth - anchor[0] * view.clientWidth;
  view.scrollTop = fy * view.scrollHeight - anchor[1] * view.clientHeight;
  syncScroll(view);
}

function zoomBy(step, anchor) {
  const i = ZOOMS.indexOf(zoom);
  setZoom(ZOOMS[Math.min(ZOOMS.length - 1, Math.max(0, i + step))], anchor);
}

function syncScroll(from) {
  for (const v of views) {
    if (v === from) continue;
    if (v.scrollLeft !== from.scrollLeft) v.scrollLeft = from.scrollLeft;
    if (v.scrollTop !== from.scrollTop) v.scrollTop = from.scrollTop;
  }
}

for (const view of views) {
  view.addEventListener("scroll", () => syncScroll(view));
  view.addEventListener("wheel", (event) => {
    if (!(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    const r = view.getBoundingClientRect();
    zoomBy(event.deltaY < 0 ? 1 : -1, [
      (event.clientX - r.left) / view.clientWidth,
      (event.clientY - r.top) / view.clientHeight,
    ]);
  }, { passive: false });
  // Pan by dragging with the middle button, or with Space held.
  view.addEventListener("pointerdown", (event) => {
    if (!(event.button === 1 || (event.button === 0 && panning))) return;
    event.preventDefault();
    event.stopPropagation();
    const start = {
      x: event.clientX,
      y: event.clientY,
      left: view.scrollLeft,
      top: view.scrollTop,
    };
    view.setPointerCapture(event.pointerId);
    const move = (e) => {
      view.scrollLeft = start.left - (e.clientX - start.x);
      view.scrollTop = start.top - (e.clientY - start.y);
    };
    const up = () => {
      view.removeEventListener("pointermove", move);
      view.removeEventListener("pointerup", up);
    };
    view.addEventListener("pointermove", move);
    view.addEventListener("pointerup", up);
  }, { capture: true });
}

let panning = false;
function setPanning(on) {
  panning = on;
  for (const v of views) v.classList.toggle("panning", on);
}

$("zoom-in").onclick = () => zoomBy(1);
$("zoom-out").onclick = () => zoomBy(-1);
$("zoom-fit").onclick = () => setZoom(1);

/** The label map over the photo, half transparent, when the overlay is on. */
function showOverlay() {
  $("overlay").hidden = !$("overlay-toggle").checked;
  remember();
}
$("overlay-toggle").addEventListener("change", showOverlay);

// The tool, the class, the brush and the overlay survive a reload.
const REMEMBER = "pix2pixhd-editor";
function remember() {
  try {
    localStorage.setItem(
      REMEMBER,
      JSON.stringify({
        tool: tool(),
        class: chosenClass,
        size: Number($("brush-size").value),
        shape: $("brush-shape").value,
        erase: Number($("erase-class").value || eraseClass),
        overlay: $("overlay-toggle").checked,
      }),
    );
  } catch {
    // storage refused (a private window): nothing is remembered
  }
}
function recalled() {
  try {
    return JSON.parse(localStorage.getItem(REMEMBER) ?? "null");
  } catch {
    return null;
  }
}
for (
  const id of ["tool-select", "tool-brush", "tool-eraser", "tool-fill", "brush-size", "brush-shape"]
) {
  $(id).addEventListener("change", remember);
}
$("erase-class").addEventListener("change", () => {
  eraseClass = Number($("erase-class").value);
  remember();
});
$("reset").onclick = async () => refresh(await call("POST", "/api/reset"));
$("scene").onchange = async () => {
  select(null);
  await refresh(await call("POST", "/api/open", { index: Number($("scene").value) }));
};
$("upload").onchange = async () => {
  const file = $("upload").files[0];
  if (!file) return;
  const next = await call(
    "POST",
    `/api/upload?name=${encodeURIComponent(file.name)}`,
    undefined,
    file,
  );
  $("upload").value = "";
  if (next) select(null);
  await refresh(next);
};

for (const [id, fallback] of [["save-label", "label.png"], ["save-photo", "photo.png"]]) {
  $(id).onclick = (event) => {
    event.preventDefault();
    download($(id).getAttribute("href"), fallback);
  };
}

/** (Re)starts the editor on the API's current model: scene list, palette, state. */
function start() {
  state = null;
  const saved = recalled();
  chosenClass = Number.isInteger(saved?.class) ? saved.class : ROAD;
  eraseClass = Number.isInteger(saved?.erase) ? saved.erase : ROAD;
  if (["select", "brush", "eraser", "fill"].includes(saved?.tool)) {
    $(`tool-${saved.tool}`).checked = true;
  }
  if (Number.isInteger(saved?.size) && saved.size >= 1) $("brush-size").value = String(saved.size);
  if (saved?.shape === "square" || saved?.shape === "round") $("brush-shape").value = saved.shape;
  $("overlay-toggle").checked = saved?.overlay === true;
  $("overlay").hidden = !$("overlay-toggle").checked;
  $("erase-class").replaceChildren();
  setZoom(1);
  $("scene").replaceChildren();
  $("palette").replaceChildren();
  select(null);
  return call("GET", "/api/state").then(refresh);
}

// A page that loads another model calls this again.
globalThis.pix2pixhdStart = start;
start();
