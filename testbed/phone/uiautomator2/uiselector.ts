import { ServerError } from './errors.js';
import { subtree, viewAttributes, type Snapshot, type ViewNode } from './snapshot.js';

/**
 * The `-android uiautomator` strategy: Java expressions built from `new UiSelector()` (and
 * `new UiScrollable(...)`), parsed into selectors and matched against a snapshot as Android's
 * UiSelector matches views. Statements separated by `;` add their matches.
 */

export type Criterion =
  | { kind: 'string'; method: StringMethod; value: string }
  | { kind: 'regex'; method: RegexMethod; value: RegExp }
  | { kind: 'boolean'; method: BooleanMethod; value: boolean }
  | { kind: 'index'; value: number }
  | { kind: 'instance'; value: number }
  | { kind: 'child'; selector: Selector }
  | { kind: 'parent'; selector: Selector };

export interface Selector {
  criteria: Criterion[];
}

export interface Scrollable {
  container: Selector;
  vertical: boolean;
  maxSwipes: number;
  /** What to scroll into view; absent when the expression only names the scrollable. */
  target?: Selector;
}

export type Statement = { kind: 'selector'; selector: Selector } | { kind: 'scrollable'; scrollable: Scrollable };

const STRING_METHODS = ['text', 'textContains', 'textStartsWith', 'description', 'descriptionContains', 'descriptionStartsWith', 'className', 'packageName', 'resourceId'] as const;
const REGEX_METHODS = ['textMatches', 'descriptionMatches', 'classNameMatches', 'packageNameMatches', 'resourceIdMatches'] as const;
const BOOLEAN_METHODS = ['checkable', 'checked', 'clickable', 'enabled', 'focusable', 'focused', 'longClickable', 'scrollable', 'selected'] as const;
type StringMethod = (typeof STRING_METHODS)[number];
type RegexMethod = (typeof REGEX_METHODS)[number];
type BooleanMethod = (typeof BOOLEAN_METHODS)[number];

// ---- tokens

type Token = { t: 'ident' | 'string' | 'number' | 'punct'; v: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][\w$]*/.exec(text.slice(i))!;
      tokens.push({ t: 'ident', v: m[0], at: i });
      i += m[0].length;
    } else if (/[-\d]/.test(c)) {
      const m = /^-?\d+(\.\d+)?[fFdDlL]?/.exec(text.slice(i));
      if (!m) throw invalid(text, i, 'a number');
      tokens.push({ t: 'number', v: m[0].replace(/[fFdDlL]$/, ''), at: i });
      i += m[0].length;
    } else if (c === '"') {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\') {
          const e = text[++j];
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'u' ? String.fromCharCode(parseInt(text.slice(j + 1, (j += 4) + 1), 16)) : (e ?? '');
        } else value += text[j];
      }
      if (j >= text.length) throw invalid(text, i, 'the end of the string');
      tokens.push({ t: 'string', v: value, at: i });
      i = j + 1;
    } else if ('().,;'.includes(c)) {
      tokens.push({ t: 'punct', v: c, at: i });
      i++;
    } else {
      throw invalid(text, i, 'a UiSelector expression');
    }
  }
  return tokens;
}

function invalid(text: string, at: number, expected: string): ServerError {
  return new ServerError('invalid selector', `Could not parse UiSelector argument: expected ${expected} at position ${at} of '${text}'`);
}

// ---- parser

type Value = { kind: 'string' | 'number' | 'boolean'; v: string } | { kind: 'object'; call: Call };
interface Call {
  type: 'UiSelector' | 'UiScrollable';
  args: Value[];
  methods: Array<{ name: string; args: Value[]; at: number }>;
}

class Parser {
  private i = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private take(t: Token['t'], v?: string): Token {
    const tok = this.tokens[this.i];
    if (!tok || tok.t !== t || (v !== undefined && tok.v !== v)) throw invalid(this.text, tok?.at ?? this.text.length, v ? `'${v}'` : `a ${t}`);
    this.i++;
    return tok;
  }

  statements(): Call[] {
    const calls: Call[] = [];
    while (this.peek()) {
      calls.push(this.call());
      while (this.peek()?.v === ';') this.i++;
    }
    if (!calls.length) throw invalid(this.text, 0, 'a UiSelector expression');
    return calls;
  }

  private call(): Call {
    if (this.peek()?.t === 'ident' && this.peek()?.v === 'new') this.i++;
    const name = this.take('ident');
    if (name.v !== 'UiSelector' && name.v !== 'UiScrollable') throw invalid(this.text, name.at, 'UiSelector or UiScrollable');
    const call: Call = { type: name.v, args: this.args(), methods: [] };
    while (this.peek()?.v === '.') {
      this.i++;
      const method = this.take('ident');
      call.methods.push({ name: method.v, args: this.args(), at: method.at });
    }
    return call;
  }

  private args(): Value[] {
    this.take('punct', '(');
    const values: Value[] = [];
    while (this.peek() && this.peek()!.v !== ')') {
      const tok = this.peek()!;
      if (tok.t === 'string') {
        this.i++;
        values.push({ kind: 'string', v: tok.v });
      } else if (tok.t === 'number') {
        this.i++;
        values.push({ kind: 'number', v: tok.v });
      } else if (tok.t === 'ident' && (tok.v === 'true' || tok.v === 'false')) {
        this.i++;
        values.push({ kind: 'boolean', v: tok.v });
      } else {
        values.push({ kind: 'object', call: this.call() });
      }
      if (this.peek()?.v === ',') this.i++;
      else break;
    }
    this.take('punct', ')');
    return values;
  }
}

function oneArg(text: string, m: { name: string; args: Value[]; at: number }, kind: Value['kind']): Value {
  if (m.args.length !== 1 || m.args[0].kind !== kind) throw invalid(text, m.at, `${m.name}(<${kind}>)`);
  return m.args[0];
}

function javaRegex(text: string, source: string): RegExp {
  try {
    // Java's matches() is a whole-string match.
    return new RegExp(`^(?:${source})$`, 's');
  } catch {
    throw new ServerError('invalid selector', `Invalid regular expression '${source}' in '${text}'`);
  }
}

function toSelector(text: string, call: Call): Selector {
  if (call.type !== 'UiSelector') throw invalid(text, 0, 'a UiSelector');
  const criteria: Criterion[] = [];
  for (const m of call.methods) {
    if ((STRING_METHODS as readonly string[]).includes(m.name)) {
      criteria.push({ kind: 'string', method: m.name as StringMethod, value: (oneArg(text, m, 'string') as { v: string }).v });
    } else if ((REGEX_METHODS as readonly string[]).includes(m.name)) {
      criteria.push({ kind: 'regex', method: m.name as RegexMethod, value: javaRegex(text, (oneArg(text, m, 'string') as { v: string }).v) });
    } else if ((BOOLEAN_METHODS as readonly string[]).includes(m.name)) {
      criteria.push({ kind: 'boolean', method: m.name as BooleanMethod, value: (oneArg(text, m, 'boolean') as { v: string }).v === 'true' });
    } else if (m.name === 'index' || m.name === 'instance') {
      const n = Number((oneArg(text, m, 'number') as { v: string }).v);
      if (!Number.isInteger(n) || n < 0) throw invalid(text, m.at, `${m.name}(<non-negative int>)`);
      criteria.push({ kind: m.name, value: n });
    } else if (m.name === 'childSelector' || m.name === 'fromParent') {
      const arg = oneArg(text, m, 'object') as { call: Call };
      criteria.push({ kind: m.name === 'childSelector' ? 'child' : 'parent', selector: toSelector(text, arg.call) });
    } else {
      throw new ServerError('invalid selector', `UiSelector has no method '${m.name}' (in '${text}')`);
    }
  }
  return { criteria };
}

function toStatement(text: string, call: Call): Statement {
  if (call.type === 'UiSelector') return { kind: 'selector', selector: toSelector(text, call) };
  const container = call.args[0];
  if (call.args.length !== 1 || container.kind !== 'object') throw invalid(text, 0, 'new UiScrollable(<UiSelector>)');
  const scrollable: Scrollable = { container: toSelector(text, container.call), vertical: true, maxSwipes: 30 };
  for (const m of call.methods) {
    switch (m.name) {
      case 'setAsVerticalList':
        scrollable.vertical = true;
        break;
      case 'setAsHorizontalList':
        scrollable.vertical = false;
        break;
      case 'setMaxSearchSwipes':
        scrollable.maxSwipes = Number((oneArg(text, m, 'number') as { v: string }).v);
        break;
      case 'setSwipeDeadZonePercentage':
        break;
      case 'scrollIntoView':
      case 'getChildByInstance':
        scrollable.target = toSelector(text, (oneArg(text, { ...m, args: m.args.slice(0, 1) }, 'object') as { call: Call }).call);
        break;
      case 'scrollTextIntoView':
        scrollable.target = { criteria: [{ kind: 'string', method: 'text', value: (oneArg(text, m, 'string') as { v: string }).v }] };
        break;
      case 'getChildByText':
      case 'getChildByDescription': {
        const [sel, value] = m.args;
        if (sel?.kind !== 'object' || value?.kind !== 'string') throw invalid(text, m.at, `${m.name}(<UiSelector>, <String>)`);
        const base = toSelector(text, sel.call);
        const method: StringMethod = m.name === 'getChildByText' ? 'text' : 'description';
        scrollable.target = { criteria: [...base.criteria, { kind: 'string', method, value: value.v }] };
        break;
      }
      default:
        throw new ServerError('invalid selector', `UiScrollable has no method '${m.name}' this server supports (in '${text}')`);
    }
  }
  return { kind: 'scrollable', scrollable };
}

/** Parses a `-android uiautomator` selector; throws `invalid selector` with the position of the problem. */
export function parseUiAutomator(text: string): Statement[] {
  const parser = new Parser(text, tokenize(text));
  return parser.statements().map((call) => toStatement(text, call));
}

// ---- matching

function attribute(node: ViewNode, name: string): string {
  return viewAttributes(node).find(([k]) => k === name)?.[1] ?? '';
}

const STRING_ATTRIBUTE: Record<StringMethod | RegexMethod, string> = {
  text: 'text',
  textContains: 'text',
  textStartsWith: 'text',
  textMatches: 'text',
  description: 'content-desc',
  descriptionContains: 'content-desc',
  descriptionStartsWith: 'content-desc',
  descriptionMatches: 'content-desc',
  className: 'class',
  classNameMatches: 'class',
  packageName: 'package',
  packageNameMatches: 'package',
  resourceId: 'resource-id',
  resourceIdMatches: 'resource-id',
};

const BOOLEAN_ATTRIBUTE: Record<BooleanMethod, string> = {
  checkable: 'checkable',
  checked: 'checked',
  clickable: 'clickable',
  enabled: 'enabled',
  focusable: 'focusable',
  focused: 'focused',
  longClickable: 'long-clickable',
  scrollable: 'scrollable',
  selected: 'selected',
};

function matchesOwn(node: ViewNode, criteria: readonly Criterion[]): boolean {
  for (const c of criteria) {
    switch (c.kind) {
      case 'string': {
        const v = attribute(node, STRING_ATTRIBUTE[c.method]);
        if (c.method.endsWith('Contains') ? !v.includes(c.value) : c.method.endsWith('StartsWith') ? !v.startsWith(c.value) : v !== c.value) return false;
        break;
      }
      case 'regex':
        if (!c.value.test(attribute(node, STRING_ATTRIBUTE[c.method]))) return false;
        break;
      case 'boolean':
        if ((attribute(node, BOOLEAN_ATTRIBUTE[c.method]) === 'true') !== c.value) return false;
        break;
      case 'index':
        if (node.index !== c.value) return false;
        break;
      default:
        break;
    }
  }
  return true;
}

function unique(nodes: ViewNode[]): ViewNode[] {
  return [...new Set(nodes)];
}

/**
 * The views a selector matches among `scope` (views in document order): its own criteria, then
 * `instance(n)` picks the n-th of those, then each childSelector looks among the descendants of
 * what matched so far and each fromParent among the descendants of its parent.
 */
export function matchSelector(selector: Selector, scope: readonly ViewNode[]): ViewNode[] {
  let found = scope.filter((n) => matchesOwn(n, selector.criteria));
  const instance = selector.criteria.find((c) => c.kind === 'instance');
  if (instance) found = found[instance.value] ? [found[instance.value]] : [];
  for (const c of selector.criteria) {
    if (c.kind === 'child') found = unique(found.flatMap((n) => matchSelector(c.selector, subtree(n).slice(1))));
    else if (c.kind === 'parent') found = unique(found.flatMap((n) => (n.parent ? matchSelector(c.selector, subtree(n.parent).slice(1)) : [])));
  }
  return found;
}

/** What a UiScrollable needs of the phone: a fresh snapshot, and a swipe that says whether it scrolled. */
export interface ScrollHost {
  snapshot(): Snapshot;
  swipe(x1: number, y1: number, x2: number, y2: number, durationMs: number): boolean;
}

/**
 * Scrolls the container until the target shows (forward to the end, then back to the start),
 * with a swipe over the middle half of the container per step, as UiScrollable does.
 */
export function scrollIntoView(host: ScrollHost, scrollable: Scrollable, scope: (s: Snapshot) => readonly ViewNode[]): ViewNode[] {
  const target = scrollable.target;
  const look = (): { found: ViewNode[]; container?: ViewNode } => {
    const snap = host.snapshot();
    const container = matchSelector(scrollable.container, scope(snap))[0];
    if (!container) return { found: [] };
    return { found: target ? matchSelector(target, subtree(container).slice(1)) : [container], container };
  };
  let state = look();
  if (!state.container) throw new ServerError('no such element', 'Could not find the scrollable container of the UiScrollable');
  for (const direction of [1, -1]) {
    for (let i = 0; i < scrollable.maxSwipes && !state.found.length && state.container; i++) {
      const [l, t, r, b] = state.container.bounds;
      const cx = Math.round((l + r) / 2);
      const cy = Math.round((t + b) / 2);
      const half = Math.round(((scrollable.vertical ? b - t : r - l) * direction) / 4);
      // Content follows the finger: moving it up (negative) scrolls forward.
      const moved = scrollable.vertical ? host.swipe(cx, cy + half, cx, cy - half, 300) : host.swipe(cx + half, cy, cx - half, cy, 300);
      state = look();
      if (!moved) break;
    }
    if (state.found.length) break;
  }
  return state.found;
}

/** Finds with a `-android uiautomator` expression, within `context` when given. */
export function findByUiAutomator(host: ScrollHost, text: string, context?: (s: Snapshot) => readonly ViewNode[]): ViewNode[] {
  const statements = parseUiAutomator(text);
  const scope = context ?? ((s: Snapshot) => s.nodes);
  const found: ViewNode[] = [];
  for (const statement of statements) {
    if (statement.kind === 'selector') found.push(...matchSelector(statement.selector, scope(host.snapshot())));
    else found.push(...scrollIntoView(host, statement.scrollable, scope));
  }
  return unique(found);
}
