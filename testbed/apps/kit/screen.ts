import { SCREEN, type UiNode } from '../../phone/apps.js';

/**
 * Builds one screen of a virtual app as UiAutomator sees it: widgets stacked from the top (a
 * toolbar, texts, fields, buttons, progress bars, a player, a list that fills the rest), each
 * with the bounds a phone of SCREEN's size gives it, and what a touch on it does. A list shows
 * only its rows that are on screen (as a RecyclerView does), so a scenario must scroll to reach
 * the others. A screen is built anew for every look at it; its handlers stay with its nodes.
 */

/** What a view does when touched, scrolled or typed into. */
export interface Handlers {
  tap?: () => void;
  longPress?: () => void;
  /** The finger moved by dy (content follows the finger); true when the view scrolled. */
  scroll?: (dy: number) => boolean;
  /** A field's whole new text. */
  setText?: (text: string) => void;
  /** The keyboard's action key (Enter, Send, Go) in a field. */
  submit?: () => void;
}

/** A list's scroll position (pixels of content above its top edge), kept by the app between screens. */
export interface ScrollState {
  offset: number;
}

const TOP = 84; // below the status bar
const WIDTH = SCREEN.width;
const BOTTOM = SCREEN.height;
export const SIZES = { toolbar: 147, tab: 126, button: 126, field: 147, row: 189, text: 63, progress: 42, margin: 42 };

type Bounds = UiNode['bounds'];

export function clip(bounds: Bounds, within: Bounds): Bounds | undefined {
  const l = Math.max(bounds[0], within[0]);
  const t = Math.max(bounds[1], within[1]);
  const r = Math.min(bounds[2], within[2]);
  const b = Math.min(bounds[3], within[3]);
  return l < r && t < b ? [l, t, r, b] : undefined;
}

/** A node and its subtree cut to `within` (what a scrolled list shows of a row); undefined when nothing of it is left. Handlers follow the copies. */
function clipped(node: UiNode, within: Bounds, handlers: Map<UiNode, Handlers>): UiNode | undefined {
  const bounds = clip(node.bounds, within);
  if (!bounds) return undefined;
  const children = (node.children ?? []).map((c) => clipped(c, within, handlers)).filter((c): c is UiNode => c !== undefined);
  const out: UiNode = { ...node, bounds, ...(node.children ? { children } : {}) };
  const h = handlers.get(node);
  if (h) handlers.set(out, h);
  return out;
}

/** Lays out the parts of one list row inside its box (icon, two lines of text, a trailing text, action buttons). */
export class RowBuilder {
  readonly children: UiNode[] = [];
  private titleDone = false;
  private actionsRight: number;

  constructor(
    private readonly screen: Screen,
    private readonly box: Bounds,
  ) {
    this.actionsRight = box[2] - 21;
  }

  icon(name: string, desc: string): this {
    const [l, t, , b] = this.box;
    const size = Math.min(126, b - t - 42);
    this.children.push({ class: 'android.widget.ImageView', resourceId: this.screen.id(name), contentDesc: desc, bounds: [l + 42, t + (b - t - size) / 2, l + 42 + size, t + (b - t + size) / 2].map(Math.round) as Bounds });
    return this;
  }

  private textLeft(): number {
    return this.box[0] + (this.children.some((c) => c.class === 'android.widget.ImageView') ? 210 : 42);
  }

  title(name: string, text: string): this {
    const [, t] = this.box;
    this.children.push({ class: 'android.widget.TextView', resourceId: this.screen.id(name), text, bounds: [this.textLeft(), t + 30, this.actionsRight - 210, t + 93] });
    this.titleDone = true;
    return this;
  }

  subtitle(name: string, text: string): this {
    const [, t] = this.box;
    const top = this.titleDone ? t + 99 : t + 30;
    this.children.push({ class: 'android.widget.TextView', resourceId: this.screen.id(name), text, bounds: [this.textLeft(), top, this.actionsRight - 21, top + 60] });
    return this;
  }

  /** A short text at the row's right, on the title's line (a time, a size). */
  trailing(name: string, text: string, desc?: string): this {
    const [, t] = this.box;
    this.children.push({ class: 'android.widget.TextView', resourceId: this.screen.id(name), text, contentDesc: desc, bounds: [this.actionsRight - 189, t + 30, this.actionsRight, t + 93] });
    return this;
  }

  /** A small image at the row's right (a delivery tick): its description says what it shows. */
  badge(name: string, desc: string): this {
    const b = this.box[3];
    this.children.push({ class: 'android.widget.ImageView', resourceId: this.screen.id(name), contentDesc: desc, bounds: [this.actionsRight - 63, b - 84, this.actionsRight, b - 21] });
    this.actionsRight -= 84;
    return this;
  }

  /** A button at the row's right (taken from the right edge leftwards). */
  action(name: string, label: { text?: string; desc?: string }, onTap: () => void): this {
    const [, t, , b] = this.box;
    const width = label.text ? 42 + label.text.length * 30 : 126;
    const node: UiNode = {
      class: label.text ? 'android.widget.Button' : 'android.widget.ImageButton',
      resourceId: this.screen.id(name),
      text: label.text,
      contentDesc: label.desc,
      clickable: true,
      bounds: [this.actionsRight - width, t + (b - t - 126) / 2, this.actionsRight, t + (b - t + 126) / 2].map(Math.round) as Bounds,
    };
    this.actionsRight -= width + 21;
    this.screen.on(node, { tap: onTap });
    this.children.push(node);
    return this;
  }

  /** A progress bar across the row's bottom (a transfer in the row). */
  progress(name: string, fraction: number | null, desc?: string): this {
    const b = this.box[3];
    this.children.push(progressNode(this.screen.id(name), [this.textLeft(), b - 42, this.actionsRight - 21, b - 21], fraction, desc));
    return this;
  }
}

function progressNode(resourceId: string, bounds: Bounds, fraction: number | null, desc?: string): UiNode {
  // UiAutomator shows no progress value: the percentage goes to the description, as apps label theirs
  const percent = fraction === null ? undefined : `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
  return { class: 'android.widget.ProgressBar', resourceId, contentDesc: desc ?? percent, bounds };
}

function markPackage(node: UiNode, pkg: string): void {
  node.package ??= pkg;
  for (const child of node.children ?? []) markPackage(child, pkg);
}

export interface ListOptions<T> {
  rowHeight?: number;
  scroll: ScrollState;
  /** What a row shows; `row` places its parts. */
  render: (item: T, row: RowBuilder, index: number) => void;
  onTap?: (item: T, index: number) => void;
  onLongPress?: (item: T, index: number) => void;
  /** The row's resource id (the same for every row, as in a RecyclerView). */
  rowId?: string;
  /** The row's content description. */
  rowDesc?: (item: T) => string | undefined;
  /** The list's height; default: down to the screen's bottom (less what is reserved below). */
  height?: number;
  /** A pull down while the list is at its top (pull to refresh). */
  onPullDown?: () => void;
}

export class Screen {
  readonly handlers = new Map<UiNode, Handlers>();
  private readonly nodes: UiNode[] = [];
  private readonly overlays: UiNode[] = [];
  private y = TOP;
  /** Pixels kept free at the bottom (a bottom bar added after the list). */
  private reservedBottom = 0;
  private owner: string | undefined;

  constructor(readonly pkg: string) {}

  id(name: string): string {
    return name.includes(':id/') ? name : `${this.pkg}:id/${name}`;
  }

  on(node: UiNode, handlers: Handlers): UiNode {
    this.handlers.set(node, handlers);
    return node;
  }

  private add(node: UiNode, height: number): UiNode {
    this.nodes.push(node);
    this.y += height;
    return node;
  }

  /** The space left above the bottom (and any bottom bar). */
  get remaining(): number {
    return BOTTOM - this.reservedBottom - this.y;
  }

  reserveBottom(pixels: number): this {
    this.reservedBottom = pixels;
    return this;
  }

  toolbar(title: string, options: { id?: string; up?: () => void; upDesc?: string; actions?: Array<{ id: string; desc: string; onTap: () => void }> } = {}): this {
    const top = this.y;
    const children: UiNode[] = [];
    let left = 42;
    if (options.up) {
      children.push(this.on({ class: 'android.widget.ImageButton', contentDesc: options.upDesc ?? 'Navigate up', clickable: true, bounds: [0, top, 147, top + SIZES.toolbar] }, { tap: options.up }));
      left = 189;
    }
    // the actions from left to right at the toolbar's end, as an action bar lays out its menu items
    const right = WIDTH - 126 * (options.actions ?? []).length;
    const actions = (options.actions ?? []).map((a, i) =>
      this.on({ class: 'android.widget.Button', resourceId: this.id(a.id), contentDesc: a.desc, clickable: true, bounds: [right + 126 * i, top + 10, right + 126 * (i + 1), top + SIZES.toolbar - 10] }, { tap: a.onTap }),
    );
    children.push({ class: 'android.widget.TextView', text: title, bounds: [left, top + 31, right - 21, top + 116] }, ...actions);
    this.add({ class: 'android.view.ViewGroup', resourceId: this.id(options.id ?? 'toolbar'), bounds: [0, top, WIDTH, top + SIZES.toolbar], children }, SIZES.toolbar);
    return this;
  }

  /** A row of tabs; the selected one is marked selected. */
  tabs(id: string, items: Array<{ text: string; selected: boolean; onTap: () => void; desc?: string }>): this {
    const top = this.y;
    const width = Math.floor(WIDTH / Math.max(1, items.length));
    const children = items.map((item, i) =>
      this.on(
        { class: 'android.widget.LinearLayout', contentDesc: item.desc ?? item.text, selected: item.selected, clickable: true, bounds: [i * width, top, (i + 1) * width, top + SIZES.tab], children: [{ class: 'android.widget.TextView', text: item.text, bounds: [i * width + 21, top + 32, (i + 1) * width - 21, top + 95] }] },
        { tap: item.onTap },
      ),
    );
    this.add({ class: 'android.widget.HorizontalScrollView', resourceId: this.id(id), bounds: [0, top, WIDTH, top + SIZES.tab], children }, SIZES.tab);
    return this;
  }

  text(id: string | undefined, text: string, options: { desc?: string; lines?: number; onTap?: () => void } = {}): this {
    const lines = options.lines ?? Math.max(1, Math.ceil(text.length / 38));
    const height = lines * SIZES.text + 21;
    const node: UiNode = { class: 'android.widget.TextView', resourceId: id ? this.id(id) : undefined, text, contentDesc: options.desc, clickable: Boolean(options.onTap), bounds: [42, this.y + 10, WIDTH - 42, this.y + height] };
    if (options.onTap) this.on(node, { tap: options.onTap });
    this.add(node, height);
    return this;
  }

  button(id: string, text: string, onTap: () => void, options: { desc?: string; enabled?: boolean; longPress?: () => void } = {}): this {
    const node: UiNode = { class: 'android.widget.Button', resourceId: this.id(id), text, contentDesc: options.desc, clickable: true, longClickable: Boolean(options.longPress), enabled: options.enabled ?? true, bounds: [42, this.y + 21, WIDTH - 42, this.y + 21 + SIZES.button] };
    this.on(node, { tap: onTap, longPress: options.longPress });
    this.add(node, SIZES.button + 42);
    return this;
  }

  /** Buttons side by side (an action bar under a post, a dialog's buttons). */
  buttons(items: Array<{ id: string; text?: string; desc?: string; onTap: () => void }>): this {
    const width = Math.floor((WIDTH - 84) / Math.max(1, items.length));
    const top = this.y + 10;
    for (const [i, item] of items.entries()) {
      this.nodes.push(
        this.on(
          { class: item.text ? 'android.widget.Button' : 'android.widget.ImageButton', resourceId: this.id(item.id), text: item.text, contentDesc: item.desc, clickable: true, bounds: [42 + i * width, top, 42 + (i + 1) * width, top + SIZES.button] },
          { tap: item.onTap },
        ),
      );
    }
    this.y += SIZES.button + 21;
    return this;
  }

  field(id: string, options: { hint: string; value: string; focused: boolean; onChange: (text: string) => void; onFocus: () => void; onSubmit?: () => void; lines?: number; width?: number }): this {
    const height = SIZES.field * (options.lines ?? 1);
    const node: UiNode = {
      class: 'android.widget.EditText',
      resourceId: this.id(id),
      text: options.value || options.hint,
      hint: options.hint,
      showingHint: !options.value,
      focused: options.focused,
      clickable: true,
      longClickable: true,
      bounds: [42, this.y + 10, options.width ?? WIDTH - 42, this.y + height],
    };
    this.on(node, { tap: options.onFocus, setText: options.onChange, submit: options.onSubmit });
    this.add(node, height + 21);
    return this;
  }

  /** A field with a button at its right, on one line (a message box and its send button). */
  composer(field: Parameters<Screen['field']>[1] & { id: string }, send: { id: string; desc: string; onTap: () => void; enabled?: boolean }, extra: Array<{ id: string; desc: string; onTap: () => void }> = []): this {
    const top = this.y;
    const right = WIDTH - 168 - extra.length * 147;
    this.field(field.id, { ...field, width: right });
    this.y = top;
    extra.forEach((b, i) => this.nodes.push(this.on({ class: 'android.widget.ImageButton', resourceId: this.id(b.id), contentDesc: b.desc, clickable: true, bounds: [right + 21 + i * 147, top + 10, right + 147 + i * 147, top + SIZES.field] }, { tap: b.onTap })));
    this.nodes.push(this.on({ class: 'android.widget.ImageButton', resourceId: this.id(send.id), contentDesc: send.desc, clickable: true, enabled: send.enabled ?? true, bounds: [WIDTH - 147, top + 10, WIDTH - 21, top + SIZES.field] }, { tap: send.onTap }));
    this.y = top + SIZES.field + 21;
    return this;
  }

  progress(id: string, fraction: number | null, desc?: string): this {
    this.add(progressNode(this.id(id), [42, this.y + 10, WIDTH - 42, this.y + 10 + SIZES.progress], fraction, desc), SIZES.progress + 21);
    return this;
  }

  image(id: string, desc: string, height: number, onTap?: () => void): this {
    const node: UiNode = { class: 'android.widget.ImageView', resourceId: this.id(id), contentDesc: desc, clickable: Boolean(onTap), bounds: [0, this.y, WIDTH, this.y + height] };
    if (onTap) this.on(node, { tap: onTap });
    this.add(node, height);
    return this;
  }

  /** A view of given height whose children the caller places with `place(left, top, right, bottom)` relative to it. */
  frame(id: string, height: number, build: (place: (l: number, t: number, r: number, b: number) => Bounds) => UiNode[], options: { desc?: string; class?: string; onTap?: () => void } = {}): this {
    const top = this.y;
    const place = (l: number, t: number, r: number, b: number): Bounds => [l, top + t, r, top + b];
    const node: UiNode = { class: options.class ?? 'android.widget.FrameLayout', resourceId: this.id(id), contentDesc: options.desc, clickable: Boolean(options.onTap), bounds: [0, top, WIDTH, top + height], children: build(place) };
    if (options.onTap) this.on(node, { tap: options.onTap });
    this.add(node, height);
    return this;
  }

  /** Adds a node that is already placed (the flow's position does not move). */
  place(node: UiNode): this {
    this.nodes.push(node);
    return this;
  }

  space(height: number): this {
    this.y += height;
    return this;
  }

  /** A list that fills the rest of the screen (or `height`), scrolled by `scroll`. */
  list<T>(id: string, items: readonly T[], options: ListOptions<T>): this {
    const rowHeight = options.rowHeight ?? SIZES.row;
    const height = Math.max(rowHeight, options.height ?? this.remaining);
    const top = this.y;
    const viewport: Bounds = [0, top, WIDTH, top + height];
    const content = items.length * rowHeight;
    const maxOffset = Math.max(0, content - height);
    options.scroll.offset = Math.max(0, Math.min(maxOffset, options.scroll.offset));
    const first = Math.floor(options.scroll.offset / rowHeight);
    const last = Math.min(items.length - 1, Math.floor((options.scroll.offset + height - 1) / rowHeight));
    const rows: UiNode[] = [];
    for (let i = first; i <= last; i++) {
      const rowTop = top + i * rowHeight - options.scroll.offset;
      // a row is built at its place, then cut to what the list's viewport shows of it
      const box: Bounds = [0, rowTop, WIDTH, rowTop + rowHeight];
      const builder = new RowBuilder(this, box);
      options.render(items[i], builder, i);
      const item = items[i];
      const row: UiNode = {
        class: 'android.view.ViewGroup',
        resourceId: options.rowId ? this.id(options.rowId) : undefined,
        contentDesc: options.rowDesc?.(item),
        clickable: Boolean(options.onTap),
        longClickable: Boolean(options.onLongPress),
        bounds: box,
        children: builder.children,
      };
      this.on(row, { tap: options.onTap ? () => options.onTap!(item, i) : undefined, longPress: options.onLongPress ? () => options.onLongPress!(item, i) : undefined });
      const shown = clipped(row, viewport, this.handlers);
      if (shown) rows.push(shown);
    }
    const scroll = (dy: number): boolean => {
      const before = options.scroll.offset;
      if (before === 0 && dy > 0 && options.onPullDown) {
        options.onPullDown();
        return true;
      }
      options.scroll.offset = Math.max(0, Math.min(maxOffset, before - dy));
      return options.scroll.offset !== before;
    };
    this.add(this.on({ class: 'androidx.recyclerview.widget.RecyclerView', resourceId: this.id(id), scrollable: maxOffset > 0 || Boolean(options.onPullDown), focusable: true, bounds: viewport, children: rows }, { scroll }), height);
    return this;
  }

  /** A floating button at the bottom right, over everything else. */
  fab(id: string, desc: string, onTap: () => void): this {
    this.overlays.push(this.on({ class: 'android.widget.ImageButton', resourceId: this.id(id), contentDesc: desc, clickable: true, bounds: [WIDTH - 231, BOTTOM - 357, WIDTH - 63, BOTTOM - 189] }, { tap: onTap }));
    return this;
  }

  /** A bar at the very bottom (navigation tabs); call reserveBottom first so that lists stop above it. */
  bottomBar(id: string, items: Array<{ id?: string; text: string; desc?: string; selected: boolean; onTap: () => void }>): this {
    const height = SIZES.tab + 21;
    const top = BOTTOM - height;
    const width = Math.floor(WIDTH / Math.max(1, items.length));
    const children = items.map((item, i) =>
      this.on(
        { class: 'android.widget.FrameLayout', resourceId: item.id ? this.id(item.id) : undefined, contentDesc: item.desc ?? item.text, selected: item.selected, clickable: true, bounds: [i * width, top, (i + 1) * width, BOTTOM], children: [{ class: 'android.widget.TextView', text: item.text, bounds: [i * width + 21, top + 70, (i + 1) * width - 21, BOTTOM - 10] }] },
        { tap: item.onTap },
      ),
    );
    this.overlays.push({ class: 'android.widget.LinearLayout', resourceId: this.id(id), bounds: [0, top, WIDTH, BOTTOM], children });
    return this;
  }

  /** The screen is another app's window over this one (the system's file picker): its views carry that package. */
  window(pkg: string): this {
    this.owner = pkg;
    return this;
  }

  /** The screen's root: the app's content view. */
  build(): UiNode {
    const root: UiNode = { class: 'android.widget.FrameLayout', resourceId: 'android:id/content', bounds: [0, TOP, WIDTH, BOTTOM], children: [...this.nodes, ...this.overlays] };
    if (this.owner) markPackage(root, this.owner);
    return root;
  }
}

/** A dialog window: title, message, buttons (android:id/button1 positive, button2 negative, button3 neutral). */
export interface DialogSpec {
  title: string;
  message?: string;
  /** The package the window belongs to when it is the system's ("android" for "isn't responding"). */
  package?: string;
  buttons: Array<{ id?: string; text: string; onTap: () => void }>;
}

export function dialogScreen(pkg: string, spec: DialogSpec): Screen {
  const screen = new Screen(pkg);
  const owner = spec.package;
  const width = WIDTH - 168;
  const top = 900;
  const messageHeight = spec.message ? Math.ceil(spec.message.length / 34) * SIZES.text : 0;
  const bottom = top + 168 + messageHeight + SIZES.button + 84;
  const children: UiNode[] = [{ class: 'android.widget.TextView', resourceId: 'android:id/alertTitle', package: owner, text: spec.title, bounds: [147, top + 63, 84 + width - 63, top + 147] }];
  if (spec.message) children.push({ class: 'android.widget.TextView', resourceId: 'android:id/message', package: owner, text: spec.message, bounds: [147, top + 168, 84 + width - 63, top + 168 + messageHeight] });
  let right = 84 + width - 42;
  for (const [i, b] of spec.buttons.entries()) {
    const w = 84 + b.text.length * 30;
    children.push(screen.on({ class: 'android.widget.Button', resourceId: b.id ?? `android:id/button${i + 1}`, package: owner, text: b.text, clickable: true, bounds: [right - w, bottom - SIZES.button - 42, right, bottom - 42] }, { tap: b.onTap }));
    right -= w + 21;
  }
  screen.place({ class: 'android.widget.FrameLayout', resourceId: 'android:id/parentPanel', package: owner, bounds: [84, top, 84 + width, bottom], children });
  return screen;
}
