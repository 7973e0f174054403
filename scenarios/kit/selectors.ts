/**
 * How a scenario names a view, independent of the app's version: by resource id (the part after
 * `:id/`, or a full `package:id/name`), by its text, by part of its text, by its content
 * description (accessibility id), or by a UiSelector/XPath when nothing simpler fits. Each app's
 * scenario keeps its selectors in one map, so that a new app version is fixed in one place.
 */
export type Selector =
  | { id: string }
  | { text: string }
  | { textContains: string }
  | { desc: string }
  | { descContains: string }
  | { xpath: string }
  | { uiautomator: string };

/** A Java string literal for a UiSelector argument. */
function javaString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function fullResourceId(id: string, pkg: string): string {
  return id.includes(':id/') ? id : `${pkg}:id/${id}`;
}

/** The UiSelector expression of a selector (for UiScrollable too); XPath has none. */
export function uiSelector(sel: Selector, pkg: string): string | null {
  if ('id' in sel) return `new UiSelector().resourceId(${javaString(fullResourceId(sel.id, pkg))})`;
  if ('text' in sel) return `new UiSelector().text(${javaString(sel.text)})`;
  if ('textContains' in sel) return `new UiSelector().textContains(${javaString(sel.textContains)})`;
  if ('desc' in sel) return `new UiSelector().description(${javaString(sel.desc)})`;
  if ('descContains' in sel) return `new UiSelector().descriptionContains(${javaString(sel.descContains)})`;
  if ('uiautomator' in sel) return sel.uiautomator;
  return null;
}

/** The WebdriverIO selector string of a selector. */
export function wdioSelector(sel: Selector, pkg: string): string {
  if ('xpath' in sel) return sel.xpath;
  if ('desc' in sel) return `~${sel.desc}`;
  return `android=${uiSelector(sel, pkg)}`;
}

/** How a selector reads in messages: `id "send"`, `text "Download"`. */
export function describeSelector(sel: Selector): string {
  const [kind, value] = Object.entries(sel)[0];
  return `${kind} ${JSON.stringify(value)}`;
}

/** `new UiScrollable(<the first scrollable>).scrollIntoView(<sel>)`: scrolls until the view shows. */
export function scrollIntoView(sel: Selector, pkg: string): string {
  const target = uiSelector(sel, pkg);
  if (!target) throw new Error(`scrolling to ${describeSelector(sel)}: XPath cannot be scrolled to; use an id, a text or a description`);
  return `new UiScrollable(new UiSelector().scrollable(true).instance(0)).scrollIntoView(${target})`;
}
