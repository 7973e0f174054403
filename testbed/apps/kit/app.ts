import type { AppRequest } from '../../phone/app-process.js';
import type { AppContext, LogLevel, UiNode, VirtualApp } from '../../phone/apps.js';
import type { Job, JobEvent } from '../process/protocol.js';
import { faultFor, faultProperty } from './faults.js';
import { dialogScreen, Screen, type DialogSpec, type Handlers, type ScrollState } from './screen.js';

/**
 * The shared runtime of the virtual apps: screens on a back stack, the fields' texts and focus,
 * lists' scroll positions, dialogs, the jobs the app's process runs for it, and misbehaviour on
 * request (faults.ts). An app is a spec: its screens (functions that build a Screen from the
 * app's state) and what its buttons do; `defineApp` makes it a VirtualApp the phone runs.
 *
 * The state lives as long as the app's process: a launch after a force-stop, a crash or pm clear
 * starts from `initial()` on the home screen, as a real app's UI does after its process died.
 */

export interface Route {
  name: string;
  params: Record<string, unknown>;
}

export type ScreenBuilder<S> = (screen: Screen, app: App<S>, params: Record<string, unknown>) => void;

export interface AppSpec<S> {
  package: string;
  label: string;
  /** The launcher activity. */
  activity: string;
  /** The state of a freshly started process. */
  initial: (app: App<S>) => S;
  /** The first screen's name. */
  home: string;
  screens: Record<string, ScreenBuilder<S>>;
  /** The actions a test can make misbehave (besides `start`), as documented per app. */
  actions: readonly string[];
  /** After the process started, on the home screen (connect the chat, load the feed). */
  onStart?: (app: App<S>) => void;
  /** What leaving a screen (back, up, home) stops, by screen name (a player, a page load). */
  leave?: Record<string, (app: App<S>) => void>;
}

/** How long an app may ignore input before the system says it is not responding. */
export const ANR_MS = 5000;

export class App<S> {
  state: S;
  private stack: Route[] = [];
  private readonly scrolls = new WeakMap<Route, Map<string, ScrollState>>();
  private readonly fields = new WeakMap<Route, Map<string, string>>();
  /** The focused field's id (its name in the package). */
  focus: string | undefined;
  dialog: DialogSpec | undefined;
  private context: AppContext | undefined;
  private last: { screen: Screen; root: UiNode } | undefined;
  private readonly jobs = new Set<AppRequest>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private hung: { root: UiNode | undefined; since: number; anr: 'no' | 'pending' | 'shown' } | undefined;

  constructor(readonly spec: AppSpec<S>) {
    this.state = spec.initial(this);
  }

  get pkg(): string {
    return this.spec.package;
  }

  get route(): Route {
    return this.stack.at(-1) ?? { name: this.spec.home, params: {} };
  }

  /** The context of the callback in progress (the phone, as this app). */
  get ctx(): AppContext | undefined {
    return this.context;
  }

  // ---- navigation

  /** Opens a screen over the current one (or instead of it, with `replace`, when it is the same screen). */
  navigate(name: string, params: Record<string, unknown> = {}, options: { replace?: boolean } = {}): void {
    if (!this.spec.screens[name]) throw new Error(`${this.pkg}: no screen ${name}`);
    if (options.replace && this.route.name === name && this.stack.length > 1) this.pop();
    this.stack.push({ name, params });
    this.focus = undefined;
  }

  private pop(): void {
    const route = this.stack.pop();
    if (route) this.spec.leave?.[route.name]?.(this);
    this.focus = undefined;
  }

  /** Back to the previous screen; false on the home screen (the system then leaves the app). */
  back(): boolean {
    if (this.stack.length <= 1) return false;
    this.pop();
    return true;
  }

  /** Back to the screen `name` (the nearest one on the stack), or home. */
  backTo(name: string): void {
    while (this.stack.length > 1 && this.route.name !== name) this.pop();
  }

  /** Back to the home screen. */
  home(): void {
    while (this.stack.length > 1) this.pop();
  }

  scroll(list: string): ScrollState {
    let map = this.scrolls.get(this.route);
    if (!map) this.scrolls.set(this.route, (map = new Map()));
    let state = map.get(list);
    if (!state) map.set(list, (state = { offset: 0 }));
    return state;
  }

  private fieldMap(): Map<string, string> {
    let map = this.fields.get(this.route);
    if (!map) this.fields.set(this.route, (map = new Map()));
    return map;
  }

  fieldText(id: string): string {
    return this.fieldMap().get(id) ?? '';
  }

  setFieldText(id: string, text: string): void {
    this.fieldMap().set(id, text);
  }

  /** A text field of this screen, with its text, focus and keyboard wired to the app. */
  input(screen: Screen, id: string, options: { hint: string; lines?: number; onSubmit?: () => void }): Parameters<Screen['field']>[1] & { id: string } {
    return {
      id,
      hint: options.hint,
      lines: options.lines,
      value: this.fieldText(id),
      focused: this.focus === id,
      onChange: (text) => {
        this.setFieldText(id, text);
        this.focus = id;
      },
      onFocus: () => (this.focus = id),
      onSubmit: options.onSubmit,
    };
  }

  // ---- the process, the log, faults

  /** Runs a job in the app's process; `on` hears its events. Cancelled when the app stops. */
  job(job: Job, on: (event: JobEvent) => void): AppRequest {
    const channel = this.context?.process();
    if (!channel) {
      queueMicrotask(() => on({ type: 'error', message: 'the app has no process' }));
      return { input: () => undefined, cancel: () => undefined };
    }
    const request: AppRequest = channel.request(job, (event) => {
      if (event.type === 'done' || event.type === 'error') this.jobs.delete(request);
      on(event as unknown as JobEvent);
    });
    this.jobs.add(request);
    const cancel = request.cancel;
    request.cancel = () => {
      this.jobs.delete(request);
      cancel();
    };
    return request;
  }

  log(level: LogLevel, tag: string, message: string): void {
    this.context?.log(level, tag, message);
  }

  /** A timer that dies with the app's process. */
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  /**
   * A user action (a send, a play, an upload): performed unless a test asked for a fault on it.
   * Returns whether it was performed.
   */
  action(name: string, perform: () => void): boolean {
    const fault = faultFor(this.context?.property(faultProperty(this.pkg)), name);
    if (!fault) {
      perform();
      return true;
    }
    this.log('W', 'mplab-fault', `${fault} on ${name}`);
    if (fault === 'crash') this.crash(name);
    else if (fault === 'hang') this.hang();
    else this.dialog = unexpectedDialog(this.spec.label, () => (this.dialog = undefined));
    return false;
  }

  private crash(action: string): void {
    const method = `on${action.charAt(0).toUpperCase()}${action.slice(1).replace(/[^A-Za-z0-9]/g, '')}`;
    this.context?.crash(`java.lang.IllegalStateException: ${action} failed (mplab fault)`, [
      `${this.pkg}.ui.MainActivity.${method}(MainActivity.java:214)`,
      'android.view.View.performClick(View.java:7659)',
      'android.view.View.performClickInternal(View.java:7636)',
      'android.os.Handler.handleCallback(Handler.java:958)',
      'android.os.Looper.loopOnce(Looper.java:205)',
      'android.app.ActivityThread.main(ActivityThread.java:8177)',
    ]);
  }

  /** The UI stops: the screen stays as it is and input is ignored; the system notices (ANR_MS after a touch). */
  hang(): void {
    this.hung ??= { root: this.last?.root, since: Date.now(), anr: 'no' };
  }

  private ignoredInput(): void {
    const hung = this.hung;
    if (!hung || hung.anr !== 'no') return;
    hung.anr = 'pending';
    this.after(ANR_MS, () => {
      if (this.hung !== hung) return;
      hung.anr = 'shown';
      this.log('E', 'ActivityManager', `ANR in ${this.pkg} (${this.pkg}/${this.spec.activity}): Input dispatching timed out`);
    });
  }

  private anrDialog(): DialogSpec {
    return {
      title: `${this.spec.label} isn't responding`,
      package: 'android',
      buttons: [
        { id: 'android:id/aerr_close', text: 'Close app', onTap: () => this.context?.kill('anr') },
        {
          id: 'android:id/aerr_wait',
          text: 'Wait',
          onTap: () => {
            if (this.hung) this.hung.anr = 'no';
          },
        },
      ],
    };
  }

  // ---- what the phone calls

  private use(ctx: AppContext): void {
    this.context = ctx;
  }

  render(ctx: AppContext): UiNode {
    this.use(ctx);
    if (this.hung) {
      if (this.hung.anr === 'shown') return this.show(dialogScreen(this.pkg, this.anrDialog()));
      return this.hung.root ?? this.show(new Screen(this.pkg));
    }
    if (this.dialog) return this.show(dialogScreen(this.pkg, this.dialog));
    const screen = new Screen(this.pkg);
    this.spec.screens[this.route.name](screen, this, this.route.params);
    return this.show(screen);
  }

  private show(screen: Screen): UiNode {
    const root = screen.build();
    this.last = { screen, root };
    return root;
  }

  /** The handlers of a node of the last screen shown (or of its counterpart, for a node from an older look at the screen). */
  private handlersOf(node: UiNode | undefined): Handlers | undefined {
    if (!node || !this.last) return undefined;
    const handlers = this.last.screen.handlers;
    const own = handlers.get(node);
    if (own) return own;
    // the same view as Android keeps it while it exists: same id, class and place, whatever it shows now
    const same = (n: UiNode): boolean => n.resourceId === node.resourceId && n.class === node.class && n.bounds.every((v, i) => v === node.bounds[i]);
    for (const [n, h] of handlers) if (same(n)) return h;
    return undefined;
  }

  /** The focused field's handlers, on the screen as it is now (typing may follow a touch that changed the screen, with no look at it between). */
  private fieldHandlers(): Handlers | undefined {
    if (this.focus && this.context) this.render(this.context);
    if (!this.focus || !this.last) return undefined;
    const id = this.last.screen.id(this.focus);
    for (const [n, h] of this.last.screen.handlers) if (n.resourceId === id && h.setText) return h;
    return undefined;
  }

  tap(node: UiNode | undefined, ctx: AppContext): void {
    this.use(ctx);
    const handlers = this.handlersOf(node);
    if (this.hung && this.hung.anr !== 'shown') return this.ignoredInput();
    handlers?.tap?.();
  }

  longPress(node: UiNode | undefined, ctx: AppContext): void {
    this.use(ctx);
    if (this.hung) return this.ignoredInput();
    const handlers = this.handlersOf(node);
    (handlers?.longPress ?? handlers?.tap)?.();
  }

  scrolled(node: UiNode, dy: number, ctx: AppContext): boolean {
    this.use(ctx);
    if (this.hung) {
      this.ignoredInput();
      return false;
    }
    return this.handlersOf(node)?.scroll?.(dy) ?? false;
  }

  typed(text: string, ctx: AppContext): void {
    this.use(ctx);
    if (this.hung) return this.ignoredInput();
    if (this.focus) this.fieldHandlers()?.setText?.(this.fieldText(this.focus) + text);
  }

  setText(node: UiNode, text: string, ctx: AppContext): void {
    this.use(ctx);
    if (this.hung) return this.ignoredInput();
    this.handlersOf(node)?.setText?.(text);
  }

  key(keycode: number, ctx: AppContext): boolean {
    this.use(ctx);
    if (this.hung) {
      // HOME still leaves the app; everything else waits on the stuck UI
      if (keycode === 3) return false;
      this.ignoredInput();
      return true;
    }
    if (keycode === 4) {
      if (this.dialog) {
        this.dialog = undefined;
        return true;
      }
      return this.back();
    }
    if (keycode === 67 && this.focus) {
      this.fieldHandlers()?.setText?.(this.fieldText(this.focus).slice(0, -1));
      return true;
    }
    if (keycode === 66 && this.focus) {
      this.fieldHandlers()?.submit?.();
      return true;
    }
    return false;
  }

  start(ctx: AppContext): void {
    this.use(ctx);
    this.reset();
    if (!this.action('start', () => undefined)) return;
    this.spec.onStart?.(this);
  }

  /** The process is gone: its jobs, timers and state with it. */
  reset(): void {
    for (const job of [...this.jobs]) job.cancel();
    this.jobs.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.state = this.spec.initial(this);
    this.stack = [{ name: this.spec.home, params: {} }];
    this.focus = undefined;
    this.dialog = undefined;
    this.hung = undefined;
    this.last = undefined;
  }
}

/** The dialog a `dialog` fault shows instead of the action: one any app might pop up. */
function unexpectedDialog(label: string, dismiss: () => void): DialogSpec {
  return {
    title: `Rate ${label}`,
    message: `If you enjoy using ${label}, would you mind taking a moment to rate it? Thanks for your support!`,
    buttons: [
      { text: 'RATE NOW', onTap: dismiss },
      { text: 'NO, THANKS', onTap: dismiss },
    ],
  };
}

/** The app as the phone runs it. */
export function defineApp<S>(spec: AppSpec<S>): VirtualApp {
  const app = new App(spec);
  return {
    package: spec.package,
    label: spec.label,
    activity: spec.activity,
    screen: (ctx) => app.render(ctx),
    onTap: (node, _x, _y, ctx) => app.tap(node, ctx),
    onLongPress: (node, _x, _y, _ms, ctx) => app.longPress(node, ctx),
    onScroll: (node, _dx, dy, ctx) => app.scrolled(node, dy, ctx),
    onText: (text, ctx) => app.typed(text, ctx),
    onSetText: (node, text, ctx) => app.setText(node, text, ctx),
    onKey: (keycode, ctx) => app.key(keycode, ctx),
    onStart: (ctx) => app.start(ctx),
    onStop: () => app.reset(),
  };
}
