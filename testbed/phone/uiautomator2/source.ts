import { DOMImplementation, type Document, type Element } from '@xmldom/xmldom';
import * as xpath from 'xpath';
import { SCREEN } from '../apps.js';
import { ServerError } from './errors.js';
import { viewAttributes, type Snapshot, type ViewNode } from './snapshot.js';

/**
 * The page source as the UiAutomator2 server writes it (`GET /source`): a `hierarchy` root with
 * the display's rotation and size, each view an element named after its class with its attributes
 * in the server's order, indented by two spaces; and the same tree as a DOM for XPath 1.0 queries
 * (the `xpath` package over @xmldom/xmldom), whose matches map back to the views.
 */

/** Class names with characters XML names cannot hold rewritten as the server does ($ @ # & become dots). */
export function tagName(className: string): string {
  const fixed = className
    .replace(/[$@#&]/g, '.')
    .replace(/\.+/g, '.')
    .replace(/^\.|\.$/g, '')
    .replace(/[^A-Za-z0-9\-._]/g, '_');
  return /^[A-Za-z_]/.test(fixed) ? fixed : 'android.view.View';
}

function escapeAttribute(text: string): string {
  // XML 1.0 cannot hold most control characters: the server replaces them with '?'.
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '?')
    .replace(/[&<>"\n\r\t]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;' })[c]!);
}

function rootAttributes(): Array<[string, string]> {
  return [
    ['index', '0'],
    ['class', 'hierarchy'],
    ['rotation', '0'],
    ['width', String(SCREEN.width)],
    ['height', String(SCREEN.height)],
  ];
}

export function pageSource(snapshot: Snapshot): string {
  const out: string[] = ["<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"];
  const attrs = (list: Array<[string, string]>) => list.map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`).join('');
  const write = (node: ViewNode, depth: number) => {
    const pad = '  '.repeat(depth);
    const tag = tagName(node.ui.class);
    const head = `${pad}<${tag}${attrs(viewAttributes(node))}`;
    if (!node.children.length) {
      out.push(`${head} />`);
      return;
    }
    out.push(`${head}>`);
    for (const child of node.children) write(child, depth + 1);
    out.push(`${pad}</${tag}>`);
  };
  out.push(`<hierarchy${attrs(rootAttributes())}>`);
  write(snapshot.root, 1);
  out.push('</hierarchy>');
  return `${out.join('\n')}\n`;
}

/** The snapshot as a DOM (the page source's tree), with each element's view. */
export interface SourceDocument {
  document: Document;
  viewOf: Map<Element, ViewNode>;
  elementOf: Map<ViewNode, Element>;
}

export function sourceDocument(snapshot: Snapshot): SourceDocument {
  const document = new DOMImplementation().createDocument(null, 'hierarchy', null);
  const viewOf = new Map<Element, ViewNode>();
  const elementOf = new Map<ViewNode, Element>();
  const root = document.documentElement!;
  for (const [k, v] of rootAttributes()) root.setAttribute(k, v);
  const add = (node: ViewNode, parent: Element) => {
    const element = document.createElement(tagName(node.ui.class));
    for (const [k, v] of viewAttributes(node)) element.setAttribute(k, v);
    parent.appendChild(element);
    viewOf.set(element, node);
    elementOf.set(node, element);
    for (const child of node.children) add(child, element);
  };
  add(snapshot.root, root);
  return { document, viewOf, elementOf };
}

/**
 * The views an XPath 1.0 expression selects, in document order, from the document (or from the
 * context view, for a search inside an element). Selections that are not elements (attributes,
 * text, numbers) select nothing, as on the server; an expression that does not parse is an
 * invalid selector.
 */
export function findByXPath(source: SourceDocument, expression: string, context?: ViewNode): ViewNode[] {
  let selected: unknown;
  try {
    const contextNode = context ? source.elementOf.get(context) : source.document;
    if (!contextNode) return [];
    selected = xpath.select(expression, contextNode as unknown as Node);
  } catch (error) {
    throw new ServerError('invalid selector', `Unable to locate element by XPath '${expression}': ${(error as Error).message}`);
  }
  if (!Array.isArray(selected)) return [];
  const views: ViewNode[] = [];
  for (const item of selected) {
    const view = source.viewOf.get(item as Element);
    if (view) views.push(view);
  }
  return views;
}
