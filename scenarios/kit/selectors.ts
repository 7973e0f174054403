/**
 * How a scenario names a view, independent of the app's version: by resource id (the part after
 * `:id/`, or a full `package:id/name`), by its text, by its content description (accessibility id),
 * or several of these at once (a row's title with a given text); an XPath when nothing simpler fits.
 * Each app's scenario keeps its selectors in one map, so that a new app version is fixed in one place.
 */
export interface ViewSelector {
  id?: string;
  text?: string;
  textContains?: string;
  /** A Java regular expression the whole text matches. */
  textMatches?: string;
  desc?: string;
  descContains?: string;
  descMatches?: string;
}

export type Selector = ViewSelector | { xpath: string };

/** A Java string literal for a UiSelector argument. */
function javaString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function fullResourceId(id: string, pkg: string): string {
  return id.includes(':id/') ? id : `${pkg}:id/${id}`;
}

const METHODS: [keyof ViewSelector, string][] = [
  ['id', 'resourceId'],
  ['text', 'text'],
  ['textContains', 'textContains'],
  ['textMatches', 'textMatches'],
  ['desc', 'description'],
  ['descContains', 'descriptionContains'],
  ['descMatches', 'descriptionMatches'],
];

/** The UiSelector expression of a selector (for UiScrollable too); XPath has none. */
export function uiSelector(sel: Selector, pkg: string): string | null {
  if ('xpath' in sel) return null;
  const calls = METHODS.filter(([key]) => sel[key] !== undefined).map(([key, method]) => `.${method}(${javaString(key === 'id' ? fullResourceId(sel.id!, pkg) : sel[key]!)})`);
  if (calls.length === 0) throw new Error('a selector needs at least one of id, text, textContains, textMatches, desc, descContains, descMatches or xpath');
  return `new UiSelector()${calls.join('')}`;
}

/** The WebdriverIO selector string of a selector: a description alone is an accessibility id. */
export function wdioSelector(sel: Selector, pkg: string): string {
  if ('xpath' in sel) return sel.xpath;
  const keys = Object.keys(sel).filter((k) => sel[k as keyof ViewSelector] !== undefined);
  if (keys.length === 1 && keys[0] === 'desc') return `~${sel.desc}`;
  return `android=${uiSelector(sel, pkg)}`;
}

/** How a selector reads in messages: `id "send"`, `id "title" text "Alice"`. */
export function describeSelector(sel: Selector): string {
  return Object.entries(sel)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
    .join(' ');
}

/** `new UiScrollable(<the first scrollable>).scrollIntoView(<sel>)`: scrolls until the view shows. */
export function scrollIntoView(sel: Selector, pkg: string): string {
  const target = uiSelector(sel, pkg);
  if (!target) throw new Error(`scrolling to ${describeSelector(sel)}: XPath cannot be scrolled to; use an id, a text or a description`);
  return `new UiScrollable(new UiSelector().scrollable(true).instance(0)).scrollIntoView(${target})`;
}
