/**
 * The phone's apps as far as adb can see them: installed packages (pm), which one is in front
 * (am, dumpsys window/activity), the screen's view hierarchy (uiautomator dump) and what input
 * events do to it. Apps of a lab plug in through `VirtualApp`: a screen, and reactions to taps,
 * text and keys (the place where an app scenario's traffic starts).
 */

import type { AppChannel } from './app-process.js';

export const SCREEN = { width: 1080, height: 2400, density: 420 };

/**
 * One view of a screen, as UiAutomator sees it (AccessibilityNodeInfo): what `uiautomator dump`
 * and the UiAutomator2 server's page source print, and what their selectors match.
 */
export interface UiNode {
  class: string;
  text?: string;
  /** Full resource id, `package:id/name`. */
  resourceId?: string;
  contentDesc?: string;
  /** An EditText's hint (shown while it is empty). */
  hint?: string;
  /** The field is empty and `text` is its hint (AccessibilityNodeInfo.isShowingHintText). */
  showingHint?: boolean;
  /** [left, top, right, bottom] in pixels. */
  bounds: [number, number, number, number];
  /** The package the view belongs to when it is not the app's own (a system dialog). */
  package?: string;
  clickable?: boolean;
  longClickable?: boolean;
  scrollable?: boolean;
  /** Default: clickable or an EditText. */
  focusable?: boolean;
  focused?: boolean;
  /** Present (true or false) when the view can be checked. */
  checked?: boolean;
  /** Default true. */
  enabled?: boolean;
  selected?: boolean;
  password?: boolean;
  /**
   * Tells this view from another one at the same place in the tree (a list item's id): element
   * references of the UiAutomator2 server follow a view by its place, its class, its resource id
   * and this key, so a list whose items carry keys makes references to items scrolled away stale.
   */
  key?: string;
  children?: UiNode[];
}

export type LogLevel = 'V' | 'D' | 'I' | 'W' | 'E';

export interface AppContext {
  /** The package in front, if any. */
  foreground(): string | undefined;
  /** Starts an activity of a package, as `am start -n` would. */
  start(pkg: string, activity?: string): void;
  /** Returns to the home screen. */
  home(): void;
  /** Writes a line to the phone's log (logcat's main buffer) as this app's process. */
  log(level: LogLevel, tag: string, message: string): void;
  /**
   * The app's process dies of an uncaught exception: a FATAL EXCEPTION in logcat (AndroidRuntime,
   * crash buffer) with the exception's lines, the process killed, the app taken off the screen.
   */
  crash(exception: string, stack?: string[]): void;
  /** A system property (getprop), e.g. a fault a test set with setprop. */
  property(name: string): string | undefined;
  /** The app's process, where its network jobs run; undefined when the phone gives apps no process. */
  process(): AppChannel | undefined;
  /** The system kills the app's process (as the "isn't responding" dialog's "Close app" does). */
  kill(reason: string): void;
}

export interface VirtualApp {
  package: string;
  label: string;
  /** The launcher activity's class (may start with "." for one in the package). */
  activity: string;
  /** Preinstalled system app (pm list packages -s) rather than user-installed (-3). */
  system?: boolean;
  /** No launcher icon (services, providers). */
  noLauncher?: boolean;
  /** The view hierarchy while the app is in front (below the status bar). */
  screen?(context: AppContext): UiNode;
  onTap?(node: UiNode | undefined, x: number, y: number, context: AppContext): void;
  /** A touch held for `durationMs` (at least 500 ms: Android's long-press timeout). */
  onLongPress?(node: UiNode | undefined, x: number, y: number, durationMs: number, context: AppContext): void;
  /**
   * A swipe that started on a scrollable view (the deepest one under the finger): the finger moved
   * by (dx, dy); content follows the finger, so dy < 0 scrolls a list down. Return true when the
   * view scrolled (false at the end of its content).
   */
  onScroll?(node: UiNode, dx: number, dy: number, context: AppContext): boolean;
  /** `input text` into the focused field. */
  onText?(text: string, context: AppContext): void;
  /** A field's whole text set (UiAutomator's ACTION_SET_TEXT: the UiAutomator2 server's value and clear). */
  onSetText?(node: UiNode, text: string, context: AppContext): void;
  /** Return true when the app handled the key (BACK inside the app, ENTER, ...). */
  onKey?(keycode: number, context: AppContext): boolean;
  onStart?(context: AppContext): void;
  onStop?(): void;
  /** pm clear: forget everything the app stored. */
  onClear?(): void;
}

export function fullActivity(app: { package: string; activity: string }): string {
  return app.activity.startsWith('.') ? `${app.package}${app.activity}` : app.activity;
}

export function shortComponent(app: { package: string; activity: string }): string {
  const full = fullActivity(app);
  const short = full.startsWith(`${app.package}.`) ? full.slice(app.package.length) : full;
  return `${app.package}/${short}`;
}

export const LAUNCHER = 'com.android.launcher3';

/** Preinstalled packages of the build. */
export function builtinApps(): VirtualApp[] {
  const browserPage = { url: '' };
  return [
    { package: 'android', label: 'Android System', activity: 'com.android.internal.app.ResolverActivity', system: true, noLauncher: true },
    { package: 'com.android.systemui', label: 'System UI', activity: '.SystemUIService', system: true, noLauncher: true },
    { package: 'com.android.shell', label: 'Shell', activity: '.BugreportWarningActivity', system: true, noLauncher: true },
    { package: 'com.android.phone', label: 'Phone Services', activity: '.EmergencyDialer', system: true, noLauncher: true },
    { package: 'com.android.providers.settings', label: 'Settings Storage', activity: '.SettingsProvider', system: true, noLauncher: true },
    { package: 'com.android.inputmethod.latin', label: 'Android Keyboard', activity: '.LatinIME', system: true, noLauncher: true },
    { package: LAUNCHER, label: 'Launcher', activity: 'com.android.launcher3.uioverrides.QuickstepLauncher', system: true, noLauncher: true },
    // Appium's UiAutomator2 server and its settings helper, installed as on a phone that ran Appium
    // before: the server's instrumentation is the phone's own (uiautomator2/).
    { package: 'io.appium.uiautomator2.server', label: 'Appium UiAutomator2 Server', activity: '.ServerInstrumentation', noLauncher: true },
    { package: 'io.appium.uiautomator2.server.test', label: 'Appium UiAutomator2 Server Test', activity: '.AppiumUiAutomator2Server', noLauncher: true },
    { package: 'io.appium.settings', label: 'Appium Settings', activity: '.Settings', noLauncher: true },
    {
      package: 'com.android.settings',
      label: 'Settings',
      activity: '.Settings',
      system: true,
      screen: () =>
        list('com.android.settings:id/recycler_view', ['Network & internet', 'Connected devices', 'Apps', 'Battery', 'Display', 'System']),
    },
    {
      package: 'com.android.chrome',
      label: 'Chrome',
      activity: 'com.google.android.apps.chrome.Main',
      system: true,
      screen: () => ({
        class: 'android.widget.FrameLayout',
        bounds: [0, 84, SCREEN.width, SCREEN.height],
        children: [
          { class: 'android.widget.EditText', resourceId: 'com.android.chrome:id/url_bar', text: browserPage.url || 'Search or type web address', bounds: [160, 110, 920, 230], clickable: true },
          { class: 'android.webkit.WebView', contentDesc: browserPage.url, bounds: [0, 260, SCREEN.width, SCREEN.height], scrollable: true },
        ],
      }),
      onText: (text) => {
        browserPage.url = text;
      },
      onClear: () => {
        browserPage.url = '';
      },
    },
  ];
}

function list(resourceId: string, items: string[]): UiNode {
  return {
    class: 'androidx.recyclerview.widget.RecyclerView',
    resourceId,
    bounds: [0, 84, SCREEN.width, SCREEN.height],
    scrollable: true,
    children: items.map((text, i) => ({
      class: 'android.widget.LinearLayout',
      bounds: [0, 84 + i * 220, SCREEN.width, 84 + (i + 1) * 220],
      clickable: true,
      children: [{ class: 'android.widget.TextView', resourceId: 'android:id/title', text, bounds: [180, 120 + i * 220, 1000, 200 + i * 220] }],
    })),
  };
}

/** The home screen: one icon per launchable app, four to a row. */
export function launcherScreen(apps: readonly VirtualApp[]): UiNode {
  const icons = apps.filter((a) => !a.noLauncher);
  const cell = SCREEN.width / 4;
  return {
    class: 'android.widget.FrameLayout',
    resourceId: 'com.android.launcher3:id/launcher',
    bounds: [0, 84, SCREEN.width, SCREEN.height],
    children: [
      {
        class: 'android.view.ViewGroup',
        resourceId: 'com.android.launcher3:id/workspace',
        bounds: [0, 200, SCREEN.width, 2000],
        scrollable: true,
        children: icons.map((app, i) => {
          const col = i % 4;
          const row = Math.floor(i / 4);
          const left = Math.round(col * cell);
          const top = 240 + row * 300;
          return { class: 'android.widget.TextView', text: app.label, contentDesc: app.label, bounds: [left, top, Math.round(left + cell), top + 280], clickable: true } satisfies UiNode;
        }),
      },
    ],
  };
}

export function statusBar(): UiNode {
  return { class: 'android.widget.FrameLayout', resourceId: 'com.android.systemui:id/status_bar', bounds: [0, 0, SCREEN.width, 84] };
}

/** The node a tap at (x, y) lands on: the deepest enabled clickable one containing the point. */
export function nodeAt(root: UiNode, x: number, y: number): UiNode | undefined {
  return deepestAt(root, x, y, (n) => Boolean(n.clickable || n.longClickable) && n.enabled !== false);
}

export function isFocusable(node: UiNode): boolean {
  return node.focusable ?? (Boolean(node.clickable) || node.class === 'android.widget.EditText');
}

/** The deepest node containing (x, y) that satisfies `accept`. */
export function deepestAt(root: UiNode, x: number, y: number, accept: (node: UiNode) => boolean): UiNode | undefined {
  const [l, t, r, b] = root.bounds;
  if (x < l || x >= r || y < t || y >= b) return undefined;
  for (const child of root.children ?? []) {
    const hit = deepestAt(child, x, y, accept);
    if (hit) return hit;
  }
  return accept(root) ? root : undefined;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"\n]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;', '\n': '&#10;' })[c]!);
}

function nodeXml(node: UiNode, index: number, pkg: string, out: string[]): void {
  const [l, t, r, b] = node.bounds;
  const attrs: Array<[string, string]> = [
    ['index', String(index)],
    ['text', node.text ?? ''],
    ['resource-id', node.resourceId ?? ''],
    ['class', node.class],
    ['package', node.package ?? pkg],
    ['content-desc', node.contentDesc ?? ''],
    ['checkable', String(node.checked !== undefined)],
    ['checked', String(Boolean(node.checked))],
    ['clickable', String(Boolean(node.clickable))],
    ['enabled', String(node.enabled ?? true)],
    ['focusable', String(isFocusable(node))],
    ['focused', String(Boolean(node.focused))],
    ['scrollable', String(Boolean(node.scrollable))],
    ['long-clickable', String(Boolean(node.longClickable))],
    ['password', String(Boolean(node.password))],
    ['selected', String(Boolean(node.selected))],
    ['bounds', `[${l},${t}][${r},${b}]`],
  ];
  const head = `<node ${attrs.map(([k, v]) => `${k}="${escapeXml(v)}"`).join(' ')}`;
  if (!node.children?.length) {
    out.push(`${head} />`);
    return;
  }
  out.push(`${head}>`);
  node.children.forEach((child, i) => nodeXml(child, i, pkg, out));
  out.push('</node>');
}

/** uiautomator's window dump: the app's hierarchy under a full-screen frame, with the status bar. */
export function hierarchyXml(pkg: string, appRoot: UiNode | undefined): string {
  const frame: UiNode = {
    class: 'android.widget.FrameLayout',
    bounds: [0, 0, SCREEN.width, SCREEN.height],
    children: [statusBar(), ...(appRoot ? [appRoot] : [])],
  };
  const out: string[] = [];
  nodeXml(frame, 0, pkg, out);
  return `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0">${out.join('')}</hierarchy>`;
}

/** Android key codes by name (the ones scenarios and the framework use). */
export const KEYCODES: Record<string, number> = {
  KEYCODE_HOME: 3,
  KEYCODE_BACK: 4,
  KEYCODE_CALL: 5,
  KEYCODE_ENDCALL: 6,
  KEYCODE_DPAD_UP: 19,
  KEYCODE_DPAD_DOWN: 20,
  KEYCODE_DPAD_LEFT: 21,
  KEYCODE_DPAD_RIGHT: 22,
  KEYCODE_DPAD_CENTER: 23,
  KEYCODE_VOLUME_UP: 24,
  KEYCODE_VOLUME_DOWN: 25,
  KEYCODE_POWER: 26,
  KEYCODE_CAMERA: 27,
  KEYCODE_TAB: 61,
  KEYCODE_SPACE: 62,
  KEYCODE_ENTER: 66,
  KEYCODE_DEL: 67,
  KEYCODE_MENU: 82,
  KEYCODE_SEARCH: 84,
  KEYCODE_ESCAPE: 111,
  KEYCODE_FORWARD_DEL: 112,
  KEYCODE_MOVE_HOME: 122,
  KEYCODE_MOVE_END: 123,
  KEYCODE_APP_SWITCH: 187,
  KEYCODE_SLEEP: 223,
  KEYCODE_WAKEUP: 224,
};
for (let d = 0; d <= 9; d++) KEYCODES[`KEYCODE_${d}`] = 7 + d;
for (let c = 0; c < 26; c++) KEYCODES[`KEYCODE_${String.fromCharCode(65 + c)}`] = 29 + c;

/** A key code from `input keyevent`'s argument: a number, KEYCODE_X or X. */
export function parseKeycode(arg: string): number | undefined {
  if (/^\d+$/.test(arg)) return Number(arg);
  const name = arg.toUpperCase().startsWith('KEYCODE_') ? arg.toUpperCase() : `KEYCODE_${arg.toUpperCase()}`;
  return KEYCODES[name];
}
