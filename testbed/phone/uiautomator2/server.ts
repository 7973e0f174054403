import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../../common/log.js';
import { SCREEN } from '../apps.js';
import type { PhoneSystem } from '../system.js';
import { ELEMENT_KEY, decodeActions, type Gesture } from './actions.js';
import { ServerError } from './errors.js';
import { renderScreen } from './screenshot.js';
import { subtree, takeSnapshot, viewAttribute, type Snapshot, type ViewNode } from './snapshot.js';
import { findByXPath, pageSource, sourceDocument } from './source.js';
import { findByUiAutomator } from './uiselector.js';

/**
 * The UiAutomator2 server's HTTP protocol over the phone's screen model: sessions, finding
 * elements (id, accessibility id, class name, XPath 1.0, `-android uiautomator`), element
 * commands, page source, screenshots, gestures, keys and device information. Element references
 * follow a view by its key (snapshot.ts) and turn stale when it no longer shows.
 */

export const SERVER_VERSION = '10.6.6';

export interface Uia2ServerOptions {
  system: PhoneSystem;
  logger: Logger;
  /** Called after DELETE /session answered: the instrumentation ends, as the real server's does. */
  onSessionDeleted?: () => void;
}

interface Session {
  id: string;
  capabilities: Record<string, unknown>;
  /** element id -> view key, and back */
  elements: Map<string, string>;
  ids: Map<string, string>;
  settings: Record<string, unknown>;
}

type Handler = (request: { params: string[]; body: Record<string, unknown>; session?: Session }) => unknown;

const DEFAULT_SETTINGS = {
  actionAcknowledgmentTimeout: 3000,
  allowInvisibleElements: false,
  ignoreUnimportantViews: false,
  elementResponseAttributes: '',
  enableMultiWindows: false,
  enableNotificationListener: true,
  enforceXPath1: false,
  keyInjectionDelay: 0,
  scrollAcknowledgmentTimeout: 200,
  shouldUseCompactResponses: true,
  waitForIdleTimeout: 10000,
  waitForSelectorTimeout: 10000,
  normalizeTagNames: false,
  shutdownOnPowerDisconnect: true,
  trackScrollEvents: true,
  snapshotMaxDepth: 70,
};

export class Uia2Server {
  private session: Session | undefined;
  private readonly routes: Array<{ method: string; pattern: RegExp; session: boolean; handler: Handler }> = [];

  constructor(private readonly options: Uia2ServerOptions) {
    this.defineRoutes();
  }

  private get system(): PhoneSystem {
    return this.options.system;
  }

  // ---- routing

  private route(method: string, path: string, handler: Handler): void {
    const session = path.startsWith('/session/:sessionId');
    const source = path.replace(/:[A-Za-z]+/g, '([^/]+)');
    this.routes.push({ method, pattern: new RegExp(`^${source}/?$`), session, handler });
  }

  /** Serves one HTTP request (node:http's request listener). */
  handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const started = performance.now();
      let status = 200;
      let payload: unknown;
      const path = (request.url ?? '/').replace(/\?.*$/, '').replace(/^\/wd\/hub/, '') || '/';
      let sessionId: string | null = this.session?.id ?? null;
      try {
        const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>) : {};
        const { value, session } = this.dispatch(request.method ?? 'GET', path, body);
        sessionId = session?.id ?? sessionId;
        payload = { sessionId, value: value ?? null };
      } catch (error) {
        const e = error instanceof ServerError ? error : error instanceof SyntaxError ? new ServerError('invalid argument', `The request body is not JSON: ${error.message}`) : new ServerError('unknown error', (error as Error).message);
        if (!(error instanceof ServerError) && !(error instanceof SyntaxError)) this.options.logger.warn({ err: (error as Error).stack, path }, 'UiAutomator2 server: command failed');
        status = e.status;
        payload = e.body(sessionId);
      }
      const text = JSON.stringify(payload);
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      response.end(text);
      this.options.logger.debug({ method: request.method, path, status, ms: Math.round((performance.now() - started) * 10) / 10 }, 'uiautomator2 request');
    });
  }

  private dispatch(method: string, path: string, body: Record<string, unknown>): { value: unknown; session?: Session } {
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params = m.slice(1).map(decodeURIComponent);
      let session: Session | undefined;
      if (route.session) {
        session = this.session;
        if (!session || session.id !== params[0]) throw new ServerError('invalid session id', `A session is either terminated or not started (${params[0]})`);
      }
      return { value: route.handler({ params: route.session ? params.slice(1) : params, body, session }), session };
    }
    if (pathMatched) throw new ServerError('unknown method', `${method} is not supported for ${path}`);
    throw new ServerError('unknown command', `The requested resource could not be found, or a request was received using an HTTP method that is not supported by the mapped resource: ${method} ${path}`);
  }

  // ---- screen and elements

  private snapshot(): Snapshot {
    return takeSnapshot(this.system.screenHierarchy());
  }

  private reference(session: Session, node: ViewNode): Record<string, string> {
    let id = session.ids.get(node.key);
    if (!id) {
      id = randomUUID();
      session.ids.set(node.key, id);
      session.elements.set(id, node.key);
    }
    return { ELEMENT: id, [ELEMENT_KEY]: id };
  }

  /** The view an element id names, in a fresh snapshot; stale when it no longer shows. */
  private resolve(session: Session, id: string, snapshot = this.snapshot()): ViewNode {
    const key = session.elements.get(id);
    if (!key) throw new ServerError('no such element', `The element identified by '${id}' is not present in the cache`);
    const node = snapshot.byKey.get(key);
    if (!node) throw new ServerError('stale element reference', `The element '${id}' does not exist in DOM anymore`);
    return node;
  }

  private find(session: Session, body: Record<string, unknown>, contextId: string | undefined, multiple: boolean): unknown {
    const strategy = body.strategy ?? body.using;
    const selector = body.selector ?? body.value;
    if (typeof strategy !== 'string' || typeof selector !== 'string') throw new ServerError('invalid argument', "A find needs 'strategy' and 'selector' strings");
    const context = contextId ?? (typeof body.context === 'string' && body.context ? body.context : undefined);
    const snapshot = this.snapshot();
    const scopeOf = (snap: Snapshot): ViewNode[] => (context ? subtree(this.resolve(session, context, snap)).slice(1) : snap.nodes);
    let found: ViewNode[];
    switch (strategy) {
      case 'id': {
        const pkg = snapshot.package;
        const wanted = selector.includes(':id/') ? [selector] : [`${pkg}:id/${selector}`, `android:id/${selector}`, selector];
        found = scopeOf(snapshot).filter((n) => n.ui.resourceId !== undefined && wanted.includes(n.ui.resourceId));
        break;
      }
      case 'accessibility id':
        found = scopeOf(snapshot).filter((n) => n.ui.contentDesc === selector);
        break;
      case 'class name':
        found = scopeOf(snapshot).filter((n) => n.ui.class === selector);
        break;
      case 'xpath': {
        const contextNode = context ? this.resolve(session, context, snapshot) : undefined;
        found = findByXPath(sourceDocument(snapshot), selector, contextNode);
        break;
      }
      case '-android uiautomator':
        found = findByUiAutomator({ snapshot: () => this.snapshot(), swipe: (x1, y1, x2, y2, ms) => this.system.swipe(x1, y1, x2, y2, ms) }, selector, scopeOf);
        break;
      default:
        throw new ServerError('invalid selector', `Locator strategy '${strategy}' is not supported on Android (id, accessibility id, class name, xpath, -android uiautomator)`);
    }
    if (multiple) return found.map((n) => this.reference(session, n));
    if (!found.length) throw new ServerError('no such element', `An element could not be located on the page using the given search parameters (${strategy}: ${selector})`);
    return this.reference(session, found[0]);
  }

  private centre(node: ViewNode): { x: number; y: number } {
    const [l, t, r, b] = node.bounds;
    return { x: Math.round((l + r) / 2), y: Math.round((t + b) / 2) };
  }

  private perform(gestures: Gesture[]): void {
    for (const g of gestures) {
      if (g.kind === 'tap') this.system.tap(g.x, g.y);
      else if (g.kind === 'long-press') this.system.longPress(g.x, g.y, g.durationMs);
      else if (g.kind === 'swipe') this.system.swipe(g.x1, g.y1, g.x2, g.y2, g.durationMs);
      else this.system.text(g.text);
    }
  }

  private typed(body: Record<string, unknown>): string {
    if (typeof body.text === 'string') return body.text;
    if (Array.isArray(body.value)) return body.value.join('');
    throw new ServerError('invalid argument', "'text' (a string) or 'value' (an array of strings) is required");
  }

  private deviceInfo(): Record<string, unknown> {
    const props = this.system.properties();
    return {
      androidId: this.system.getSetting('secure', 'android_id') ?? '',
      apiVersion: props['ro.build.version.sdk'],
      bluetooth: { state: 'OFF' },
      brand: props['ro.product.brand'],
      carrierName: this.system.cellularUp() ? 'mplab cellular' : '',
      displayDensity: SCREEN.density,
      locale: 'en_US',
      manufacturer: props['ro.product.manufacturer'],
      model: props['ro.product.model'],
      networks: [],
      platformVersion: props['ro.build.version.release'],
      realDisplaySize: `${SCREEN.width}x${SCREEN.height}`,
      timeZone: 'UTC',
    };
  }

  private defineRoutes(): void {
    const r = this.route.bind(this);
    const s = (h: (req: { params: string[]; body: Record<string, unknown>; session: Session }) => unknown): Handler => (req) => h(req as { params: string[]; body: Record<string, unknown>; session: Session });
    const element = (session: Session, id: string) => this.resolve(session, id);

    r('GET', '/status', () => ({ ready: true, message: 'UiAutomator2 Server is ready to accept commands', build: { version: SERVER_VERSION, versionCode: 1 } }));
    r('GET', '/sessions', () => (this.session ? [{ id: this.session.id, capabilities: this.session.capabilities }] : []));
    r('POST', '/session', ({ body }) => {
      const caps = (body.capabilities as { firstMatch?: Array<Record<string, unknown>>; alwaysMatch?: Record<string, unknown> } | undefined) ?? {};
      const capabilities = { ...(caps.alwaysMatch ?? {}), ...(caps.firstMatch?.[0] ?? {}) };
      this.session = { id: randomUUID(), capabilities, elements: new Map(), ids: new Map(), settings: { ...DEFAULT_SETTINGS } };
      this.options.logger.info({ session: this.session.id }, 'UiAutomator2 session created');
      return { sessionId: this.session.id, capabilities };
    });
    r('GET', '/session/:sessionId', s(({ session }) => session.capabilities));
    r('DELETE', '/session/:sessionId', s(({ session }) => {
      this.options.logger.info({ session: session.id }, 'UiAutomator2 session deleted');
      this.session = undefined;
      setImmediate(() => this.options.onSessionDeleted?.());
      return null;
    }));

    // finding
    r('POST', '/session/:sessionId/element', s(({ session, body }) => this.find(session, body, undefined, false)));
    r('POST', '/session/:sessionId/elements', s(({ session, body }) => this.find(session, body, undefined, true)));
    r('POST', '/session/:sessionId/element/:id/element', s(({ session, params, body }) => this.find(session, body, params[0], false)));
    r('POST', '/session/:sessionId/element/:id/elements', s(({ session, params, body }) => this.find(session, body, params[0], true)));
    r('GET', '/session/:sessionId/element/active', s(({ session }) => {
      const focused = this.snapshot().nodes.find((n) => n.ui.focused);
      if (!focused) throw new ServerError('no such element', 'There is no focused element');
      return this.reference(session, focused);
    }));

    // elements
    r('POST', '/session/:sessionId/element/:id/click', s(({ session, params }) => {
      const { x, y } = this.centre(element(session, params[0]));
      this.system.tap(x, y);
      return null;
    }));
    r('POST', '/session/:sessionId/element/:id/value', s(({ session, params, body }) => {
      const node = element(session, params[0]);
      const text = this.typed(body);
      const replace = body.replace === true;
      // a field showing its hint is empty: typing replaces the hint, as on Android
      const current = node.ui.showingHint ? '' : (node.ui.text ?? '');
      this.system.setText(node.ui, replace ? text : `${current}${text}`);
      return null;
    }));
    r('POST', '/session/:sessionId/element/:id/clear', s(({ session, params }) => {
      this.system.setText(element(session, params[0]).ui, '');
      return null;
    }));
    r('GET', '/session/:sessionId/element/:id/text', s(({ session, params }) => element(session, params[0]).ui.text ?? ''));
    r('GET', '/session/:sessionId/element/:id/name', s(({ session, params }) => element(session, params[0]).ui.class));
    r('GET', '/session/:sessionId/element/:id/attribute/:name', s(({ session, params }) => {
      const value = viewAttribute(element(session, params[0]), params[1]);
      if (value === undefined) throw new ServerError('invalid argument', `'${params[1]}' attribute is unknown for the element. Only the following attributes are supported: index, package, class, text, content-desc, resource-id, checkable, checked, clickable, enabled, focusable, focused, long-clickable, password, scrollable, selection-start, selection-end, selected, bounds, displayed, hint`);
      return value;
    }));
    r('GET', '/session/:sessionId/element/:id/rect', s(({ session, params }) => {
      const [l, t, r2, b] = element(session, params[0]).bounds;
      return { x: l, y: t, width: r2 - l, height: b - t };
    }));
    r('GET', '/session/:sessionId/element/:id/size', s(({ session, params }) => {
      const [l, t, r2, b] = element(session, params[0]).bounds;
      return { width: r2 - l, height: b - t };
    }));
    r('GET', '/session/:sessionId/element/:id/location', s(({ session, params }) => {
      const [l, t] = element(session, params[0]).bounds;
      return { x: l, y: t };
    }));
    r('GET', '/session/:sessionId/element/:id/screenshot', s(({ session, params }) => {
      element(session, params[0]);
      return renderScreen(this.snapshot(), this.system.screenOn).toString('base64');
    }));

    // screen
    r('GET', '/session/:sessionId/source', s(() => pageSource(this.snapshot())));
    r('GET', '/session/:sessionId/screenshot', s(() => renderScreen(this.snapshot(), this.system.screenOn).toString('base64')));
    r('GET', '/session/:sessionId/window/:handle/size', s(() => ({ width: SCREEN.width, height: SCREEN.height })));
    r('GET', '/session/:sessionId/window/rect', s(() => ({ x: 0, y: 0, width: SCREEN.width, height: SCREEN.height })));
    r('GET', '/session/:sessionId/orientation', s(() => 'PORTRAIT'));
    r('POST', '/session/:sessionId/orientation', s(({ body }) => {
      if (String(body.orientation).toUpperCase() !== 'PORTRAIT') throw new ServerError('unsupported operation', `The virtual phone's screen only shows PORTRAIT, not ${JSON.stringify(body.orientation)}`);
      return 'PORTRAIT';
    }));
    r('POST', '/session/:sessionId/back', s(() => {
      this.system.key(4);
      return null;
    }));
    r('POST', '/session/:sessionId/keys', s(({ body }) => {
      this.system.text(this.typed(body));
      return null;
    }));
    r('POST', '/session/:sessionId/actions', s(({ session, body }) => {
      this.perform(decodeActions(body, (id) => this.centre(element(session, id))));
      return null;
    }));
    r('DELETE', '/session/:sessionId/actions', s(() => null));
    r('POST', '/session/:sessionId/appium/device/press_keycode', s(({ body }) => {
      if (typeof body.keycode !== 'number') throw new ServerError('invalid argument', "'keycode' must be a number");
      this.system.key(body.keycode);
      return null;
    }));
    r('POST', '/session/:sessionId/appium/device/long_press_keycode', s(({ body }) => {
      if (typeof body.keycode !== 'number') throw new ServerError('invalid argument', "'keycode' must be a number");
      this.system.key(body.keycode);
      return null;
    }));
    r('POST', '/session/:sessionId/appium/gestures/click', s(({ session, body }) => {
      const origin = body.origin as Record<string, string> | undefined;
      const id = origin?.[ELEMENT_KEY] ?? origin?.ELEMENT ?? (body.elementId as string | undefined);
      const { x, y } = id ? this.centre(element(session, id)) : { x: Number((body.offset as { x?: number })?.x ?? 0), y: Number((body.offset as { y?: number })?.y ?? 0) };
      this.system.tap(x, y);
      return null;
    }));

    // device
    r('GET', '/session/:sessionId/appium/device/info', s(() => this.deviceInfo()));
    r('GET', '/session/:sessionId/appium/device/pixel_ratio', s(() => SCREEN.density / 160));
    r('GET', '/session/:sessionId/appium/device/display_density', s(() => SCREEN.density));
    r('GET', '/session/:sessionId/appium/device/system_bars', s(() => ({ statusBar: 84 })));
    r('GET', '/session/:sessionId/appium/settings', s(({ session }) => session.settings));
    r('POST', '/session/:sessionId/appium/settings', s(({ session, body }) => {
      const settings = body.settings;
      if (!settings || typeof settings !== 'object') throw new ServerError('invalid argument', "'settings' must be an object");
      Object.assign(session.settings, settings);
      return session.settings;
    }));
  }
}
