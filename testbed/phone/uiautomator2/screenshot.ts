import { existsSync } from 'node:fs';
import { PNG } from 'pngjs';
import * as PImage from 'pureimage';
import { SCREEN } from '../apps.js';
import { isEditText, subtree, type Rect, type Snapshot, type ViewNode } from './snapshot.js';

/**
 * What the screen shows, drawn from the view tree: each view's box, its text (or its hint, or its
 * description) in DejaVu Sans (Debian's fonts-dejavu-core), as a PNG of the screen's size. The
 * UiAutomator2 server's screenshot and `screencap -p` are this picture.
 */

export const FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const FONT = 'DejaVu Sans';
const TEXT_PX = 40;

let fontLoaded = false;

function loadFont(): void {
  if (fontLoaded) return;
  if (!existsSync(FONT_FILE)) throw new Error(`the screenshot font ${FONT_FILE} is missing (Debian package fonts-dejavu-core: scripts/setup.sh installs it)`);
  PImage.registerFont(FONT_FILE, FONT).loadSync();
  fontLoaded = true;
}

type Colour = [number, number, number];

function fill(data: Uint8Array, [l, t, r, b]: Rect, [red, green, blue]: Colour): void {
  const x0 = Math.max(0, l);
  const x1 = Math.min(SCREEN.width, r);
  if (x1 <= x0) return;
  // One 32-bit store per pixel (RGBA in memory order on a little-endian machine).
  const pixels = new Uint32Array(data.buffer, data.byteOffset, SCREEN.width * SCREEN.height);
  const value = ((255 << 24) | (blue << 16) | (green << 8) | red) >>> 0;
  for (let y = Math.max(0, t); y < Math.min(SCREEN.height, b); y++) pixels.fill(value, y * SCREEN.width + x0, y * SCREEN.width + x1);
}

function frame(data: Uint8Array, [l, t, r, b]: Rect, colour: Colour, width = 2): void {
  fill(data, [l, t, r, t + width], colour);
  fill(data, [l, b - width, r, b], colour);
  fill(data, [l, t, l + width, b], colour);
  fill(data, [r - width, t, r, b], colour);
}

function label(node: ViewNode): { text: string; colour: string } | undefined {
  const ui = node.ui;
  if (ui.text) return { text: ui.password ? '•'.repeat(ui.text.length) : ui.text, colour: '#000000' };
  if (isEditText(ui) && ui.hint) return { text: ui.hint, colour: '#808080' };
  if (ui.contentDesc && !ui.children?.length) return { text: ui.contentDesc, colour: '#505050' };
  return undefined;
}

/** Cuts a label to what fits in `width` pixels (about 0.55 em per character in DejaVu Sans). */
function fitted(text: string, width: number): string {
  const max = Math.max(1, Math.floor(width / (TEXT_PX * 0.58)));
  const line = text.replace(/\s+/g, ' ');
  return line.length <= max ? line : `${line.slice(0, Math.max(1, max - 1))}…`;
}

export function renderScreen(snapshot: Snapshot, screenOn = true): Buffer {
  const image = PImage.make(SCREEN.width, SCREEN.height);
  const data = image.data;
  if (!screenOn) {
    fill(data, [0, 0, SCREEN.width, SCREEN.height], [0, 0, 0]);
    return encode(data);
  }
  loadFont();
  fill(data, [0, 0, SCREEN.width, SCREEN.height], [255, 255, 255]);
  const context = image.getContext('2d');
  context.font = `${TEXT_PX}px '${FONT}'`;
  for (const node of subtree(snapshot.root)) {
    const ui = node.ui;
    const [l, t, r, b] = node.bounds;
    if (ui.resourceId === 'com.android.systemui:id/status_bar') fill(data, node.bounds, [32, 33, 36]);
    else if (ui.clickable && !ui.children?.length) fill(data, node.bounds, ui.enabled === false ? [230, 230, 230] : [232, 240, 254]);
    if (isEditText(ui)) fill(data, [l, b - 4, r, b], [26, 115, 232]);
    else if (ui.clickable || ui.checked !== undefined) frame(data, node.bounds, [200, 200, 200]);
    if (ui.checked !== undefined) {
      const size = Math.min(48, b - t - 8);
      const box: Rect = [r - size - 16, Math.round((t + b - size) / 2), r - 16, Math.round((t + b + size) / 2)];
      if (ui.checked) fill(data, box, [26, 115, 232]);
      else frame(data, box, [90, 90, 90], 4);
    }
    const text = label(node);
    if (text && b - t >= TEXT_PX * 0.8) {
      context.fillStyle = text.colour;
      context.fillText(fitted(text.text, r - l - 24), l + 16, Math.round((t + b) / 2 + TEXT_PX * 0.36));
    }
  }
  return encode(data);
}

function encode(data: Uint8Array): Buffer {
  const png = new PNG({ width: SCREEN.width, height: SCREEN.height });
  png.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return PNG.sync.write(png, { deflateLevel: 1 });
}
