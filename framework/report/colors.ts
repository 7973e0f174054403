/**
 * Colours that stay the same for an app in every figure and every report: the apps of the
 * source study have one each; any other app gets one from a second palette by a hash of its
 * package name (the next free one when two apps of a report would share it).
 */
const KNOWN_APPS: Record<string, string> = {
  'com.facebook.katana': '#4e79a7',
  'com.facebook.orca': '#76b7b2',
  'com.dropbox.android': '#b07aa1',
  'com.google.android.apps.docs': '#59a14f',
  'org.mozilla.firefox': '#f28e2b',
  'com.spotify.music': '#edc948',
  'com.google.android.youtube': '#e15759',
  'com.dailymotion.dailymotion': '#ff9da7',
  'com.whatsapp': '#9c755f',
  'tv.periscope.android': '#17becf',
};

const OTHER_COLORS = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#bcbd22', '#7f7f7f', '#393b79', '#637939', '#8c6d31', '#843c39'];

/** The colour when a figure does not split by app (one trace, or apps pooled). */
export const NEUTRAL = '#4e79a7';

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Colour per app package, for the packages of one report. */
export function appColors(packages: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const p of packages) if (KNOWN_APPS[p]) {
    out.set(p, KNOWN_APPS[p]);
    used.add(KNOWN_APPS[p]);
  }
  for (const p of [...packages].filter((p) => !KNOWN_APPS[p]).sort()) {
    let i = hash(p) % OTHER_COLORS.length;
    for (let k = 0; k < OTHER_COLORS.length && used.has(OTHER_COLORS[i]); k++) i = (i + 1) % OTHER_COLORS.length;
    out.set(p, OTHER_COLORS[i]);
    used.add(OTHER_COLORS[i]);
  }
  return out;
}

/** Fixed colours of the other categories the figures colour by. */
export const CATEGORY_COLORS: Record<string, string> = {
  wifi: '#1f77b4',
  cellular: '#d62728',
  'unknown interface': '#7f7f7f',
  'TCP ACKs': '#d62728',
  'Data ACKs': '#2ca02c',
  '< 10 KB': '#e8a202',
  '10-100 KB': '#35b779',
  '100 KB-1 MB': '#31688e',
  '> 1 MB': '#440154',
  retransmitted: '#e15759',
  reinjected: '#4e79a7',
};

/** Line dashes per mode (TCP solid), the same in every figure. */
const MODE_DASHES: Record<string, number[]> = {
  tcp: [1, 0],
  mptcp: [7, 3],
  fullmesh: [2, 2],
  backup: [9, 3, 2, 3],
  roundrobin: [4, 4],
  redundant: [12, 3],
  ndiffports: [1, 3],
};
const OTHER_DASHES = [[6, 2, 2, 2], [3, 6], [10, 2, 2, 2, 2, 2]];

export function modeDash(mode: string, index: number): number[] {
  return MODE_DASHES[mode] ?? OTHER_DASHES[index % OTHER_DASHES.length];
}

const MODE_SHAPES: Record<string, string> = { tcp: 'circle', mptcp: 'triangle-up', fullmesh: 'square', backup: 'diamond', roundrobin: 'cross', redundant: 'triangle-down' };
const OTHER_SHAPES = ['triangle-right', 'triangle-left', 'wedge'];

export function modeShape(mode: string, index: number): string {
  return MODE_SHAPES[mode] ?? OTHER_SHAPES[index % OTHER_SHAPES.length];
}
