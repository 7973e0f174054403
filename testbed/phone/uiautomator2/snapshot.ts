import { SCREEN, isFocusable, statusBar, type UiNode } from '../apps.js';

/**
 * What the UiAutomator2 server sees of the screen at one moment: the views that show (a view
 * outside its parent's visible area is not in the accessibility tree, as a list item scrolled
 * away is not on Android), each with its visible bounds, its attributes in the server's order and
 * a key that names the same view in the next snapshot (its package and the chain of places among
 * siblings, or UiNode keys, classes and resource ids from the window's root), which element
 * references hold on to.
 */

export type Rect = [number, number, number, number];

export interface ViewNode {
  ui: UiNode;
  /** Index among the parent's shown children. */
  index: number;
  package: string;
  /** Visible bounds: the view's bounds clipped to its parent's. */
  bounds: Rect;
  key: string;
  parent: ViewNode | undefined;
  children: ViewNode[];
}

export interface Snapshot {
  /** The window root (a full-screen frame holding the status bar and the app's views). */
  root: ViewNode;
  /** Every shown view in document order. */
  nodes: ViewNode[];
  /** The package in front. */
  package: string;
  byKey: Map<string, ViewNode>;
}

function clip(a: Rect, b: Rect): Rect | undefined {
  const r: Rect = [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])];
  return r[0] < r[2] && r[1] < r[3] ? r : undefined;
}

/** The view tree of the screen (as PhoneSystem.screenHierarchy() gives it), shown views only. */
export function takeSnapshot(screen: { package: string; root: UiNode | undefined }): Snapshot {
  const frame: UiNode = {
    class: 'android.widget.FrameLayout',
    bounds: [0, 0, SCREEN.width, SCREEN.height],
    children: [statusBar(), ...(screen.root ? [screen.root] : [])],
  };
  const nodes: ViewNode[] = [];
  const byKey = new Map<string, ViewNode>();
  const visit = (ui: UiNode, index: number, position: number, parent: ViewNode | undefined, visible: Rect): ViewNode | undefined => {
    const bounds = clip(ui.bounds, visible);
    if (!bounds) return undefined;
    const pkg = ui.package ?? screen.package;
    // A keyed view is itself wherever it moves; another is the view at its place among its siblings.
    const step = `${ui.key !== undefined ? `#${ui.key}` : position}:${ui.class}:${ui.resourceId ?? ''}`;
    const node: ViewNode = { ui, index, package: pkg, bounds, key: parent ? `${parent.key}/${step}` : `${screen.package}|${step}`, parent, children: [] };
    nodes.push(node);
    byKey.set(node.key, node);
    (ui.children ?? []).forEach((child, position) => {
      const shown = visit(child, node.children.length, position, node, bounds);
      if (shown) node.children.push(shown);
    });
    return node;
  };
  const root = visit(frame, 0, 0, undefined, [0, 0, SCREEN.width, SCREEN.height])!;
  return { root, nodes, package: screen.package, byKey };
}

/** The view and its descendants in document order. */
export function subtree(node: ViewNode, out: ViewNode[] = []): ViewNode[] {
  out.push(node);
  for (const child of node.children) subtree(child, out);
  return out;
}

export function boundsText([l, t, r, b]: Rect): string {
  return `[${l},${t}][${r},${b}]`;
}

export function isEditText(ui: UiNode): boolean {
  return /EditText$/.test(ui.class);
}

/**
 * A view's attributes as the UiAutomator2 server writes them into the page source, in its order
 * (nulls left out); `getAttribute` reads the same values.
 */
export function viewAttributes(node: ViewNode): Array<[string, string]> {
  const ui = node.ui;
  const text = ui.text ?? '';
  const attrs: Array<[string, string]> = [
    ['index', String(node.index)],
    ['package', node.package],
    ['class', ui.class],
    ['text', text],
    ['content-desc', ui.contentDesc ?? ''],
    ['resource-id', ui.resourceId ?? ''],
    ['checkable', String(ui.checked !== undefined)],
    ['checked', String(Boolean(ui.checked))],
    ['clickable', String(Boolean(ui.clickable))],
    ['enabled', String(ui.enabled ?? true)],
    ['focusable', String(isFocusable(ui))],
    ['focused', String(Boolean(ui.focused))],
    ['long-clickable', String(Boolean(ui.longClickable))],
    ['password', String(Boolean(ui.password))],
    ['scrollable', String(Boolean(ui.scrollable))],
  ];
  if (isEditText(ui)) attrs.push(['selection-start', String(text.length)], ['selection-end', String(text.length)]);
  attrs.push(['selected', String(Boolean(ui.selected))], ['bounds', boundsText(node.bounds)], ['displayed', 'true']);
  if (ui.hint !== undefined) attrs.push(['hint', ui.hint]);
  return attrs;
}

/** Attribute names the server also accepts (its aliases) for getAttribute. */
const ALIASES: Record<string, string> = {
  name: 'text',
  contentDescription: 'content-desc',
  resourceId: 'resource-id',
  className: 'class',
  longClickable: 'long-clickable',
};

/** One attribute by any of its names, or undefined for an attribute the server does not know. */
export function viewAttribute(node: ViewNode, name: string): string | null | undefined {
  const canonical = ALIASES[name] ?? name;
  const found = viewAttributes(node).find(([k]) => k === canonical);
  if (found) return found[1];
  if (canonical === 'hint' || canonical === 'selection-start' || canonical === 'selection-end') return null;
  return undefined;
}
