import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import type { UiNode } from '../../../../testbed/phone/apps.js';
import { decodeActions } from '../../../../testbed/phone/uiautomator2/actions.js';
import { ServerError } from '../../../../testbed/phone/uiautomator2/errors.js';
import { takeSnapshot, type Snapshot, type ViewNode } from '../../../../testbed/phone/uiautomator2/snapshot.js';
import { findByXPath, pageSource, sourceDocument } from '../../../../testbed/phone/uiautomator2/source.js';
import { findByUiAutomator, matchSelector, parseUiAutomator } from '../../../../testbed/phone/uiautomator2/uiselector.js';

/** A screen: a field, two buttons in a row, a list of ten 300 px items of which the first five show. */
function screen(scroll = 0): { package: string; root: UiNode } {
  return {
    package: 'org.example',
    root: {
      class: 'android.widget.LinearLayout',
      bounds: [0, 84, 1080, 2400],
      children: [
        { class: 'android.widget.EditText', resourceId: 'org.example:id/field', text: 'a<b&"c"', hint: 'Name', bounds: [0, 100, 1080, 200], clickable: true },
        {
          class: 'android.widget.LinearLayout',
          resourceId: 'org.example:id/buttons',
          bounds: [0, 200, 1080, 300],
          children: [
            { class: 'android.widget.Button', resourceId: 'org.example:id/ok', text: 'OK', bounds: [0, 200, 540, 300], clickable: true },
            { class: 'android.widget.Button', resourceId: 'org.example:id/cancel', text: 'Cancel', contentDesc: 'cancel it', bounds: [540, 200, 1080, 300], clickable: true, enabled: false },
          ],
        },
        { class: 'android.widget.CheckBox', text: 'Agree', checked: true, bounds: [0, 300, 1080, 400], clickable: true },
        {
          class: 'androidx.recyclerview.widget.RecyclerView',
          resourceId: 'org.example:id/list',
          scrollable: true,
          bounds: [0, 900, 1080, 2400],
          children: Array.from({ length: 10 }, (_, i) => ({
            class: 'android.widget.TextView',
            resourceId: 'org.example:id/item',
            key: `row${i}`,
            text: `Row ${i}`,
            bounds: [0, 900 + i * 300 - scroll, 1080, 1200 + i * 300 - scroll] as UiNode['bounds'],
          })),
        },
      ],
    },
  };
}

const texts = (nodes: ViewNode[]) => nodes.map((n) => n.ui.text ?? n.ui.class);
const find = (snap: Snapshot, expression: string) => texts(findByUiAutomator({ snapshot: () => snap, swipe: () => false }, expression));

describe('view snapshot', () => {
  it('keeps only views that show, clipped to their parent, with keys that follow a view across snapshots', () => {
    const snap = takeSnapshot(screen());
    const rows = snap.nodes.filter((n) => n.ui.resourceId === 'org.example:id/item');
    expect(rows.map((n) => n.ui.text)).toEqual(['Row 0', 'Row 1', 'Row 2', 'Row 3', 'Row 4']);
    expect(rows[4].bounds).toEqual([0, 2100, 1080, 2400]);
    const scrolled = takeSnapshot(screen(700));
    expect(scrolled.byKey.has(rows[0].key)).toBe(false);
    expect(scrolled.byKey.get(rows[3].key)?.ui.text).toBe('Row 3');
    expect(scrolled.byKey.get(rows[3].key)?.bounds).toEqual([0, 1100, 1080, 1400]);
  });
});

describe('page source', () => {
  const source = pageSource(takeSnapshot(screen()));

  it('is well-formed XML with the hierarchy root and each view named after its class', () => {
    const errors: string[] = [];
    const doc = new DOMParser({ onError: (level, message) => void (level !== 'warning' && errors.push(message)) }).parseFromString(source, 'text/xml');
    expect(errors).toEqual([]);
    expect(source.startsWith("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<hierarchy index=\"0\" class=\"hierarchy\" rotation=\"0\" width=\"1080\" height=\"2400\">\n")).toBe(true);
    expect(doc.getElementsByTagName('android.widget.Button').length).toBe(2);
    expect(doc.getElementsByTagName('android.widget.EditText')[0].getAttribute('text')).toBe('a<b&"c"');
  });

  it('writes the attributes in the server order, hint and selection only where they apply', () => {
    const line = (id: string) => source.split('\n').find((l) => l.includes(`resource-id="org.example:id/${id}"`))!;
    const names = (l: string) => [...l.matchAll(/ ([a-z-]+)="/g)].map((m) => m[1]);
    const common = ['index', 'package', 'class', 'text', 'content-desc', 'resource-id', 'checkable', 'checked', 'clickable', 'enabled', 'focusable', 'focused', 'long-clickable', 'password', 'scrollable'];
    expect(names(line('ok'))).toEqual([...common, 'selected', 'bounds', 'displayed']);
    expect(names(line('field'))).toEqual([...common, 'selection-start', 'selection-end', 'selected', 'bounds', 'displayed', 'hint']);
    expect(line('field')).toContain('text="a&lt;b&amp;&quot;c&quot;"');
    expect(line('cancel')).toMatch(/^ {8}<android\.widget\.Button index="1" package="org\.example" class="android\.widget\.Button" text="Cancel" content-desc="cancel it" resource-id="org\.example:id\/cancel" checkable="false" checked="false" clickable="true" enabled="false" .* bounds="\[540,200\]\[1080,300\]" displayed="true" \/>$/);
  });
});

describe('XPath 1.0 finding', () => {
  const snap = takeSnapshot(screen());
  const doc = sourceDocument(snap);
  const xp = (e: string, context?: ViewNode) => texts(findByXPath(doc, e, context));

  it('selects views with predicates, axes and functions of XPath 1.0', () => {
    expect(xp("//android.widget.Button[@text='OK']")).toEqual(['OK']);
    expect(xp("//*[@clickable='true' and @enabled='false']")).toEqual(['Cancel']);
    expect(xp("//*[contains(@resource-id, ':id/item')][last()]")).toEqual(['Row 4']);
    expect(xp("//*[@text='OK']/following-sibling::*")).toEqual(['Cancel']);
    expect(xp("//*[@text='Agree']/preceding::android.widget.EditText")).toEqual(['a<b&"c"']);
    expect(xp('count(//android.widget.TextView)')).toEqual([]);
    expect(xp("//*[starts-with(@text, 'Row ')][position() > 3]")).toEqual(['Row 3', 'Row 4']);
  });

  it('searches inside a context element, and refuses an expression that does not parse', () => {
    const buttons = snap.nodes.find((n) => n.ui.resourceId === 'org.example:id/buttons')!;
    expect(xp('.//android.widget.Button', buttons)).toEqual(['OK', 'Cancel']);
    expect(xp('./*[1]', buttons)).toEqual(['OK']);
    expect(() => xp('//*[@text=')).toThrow(expect.objectContaining({ error: 'invalid selector' }));
  });
});

describe('UiSelector', () => {
  const snap = takeSnapshot(screen());

  it('parses chains, nested selectors, UiScrollable and several statements', () => {
    expect(parseUiAutomator('new UiSelector().text("a \\"b\\"").index(2).clickable(true)')).toEqual([
      { kind: 'selector', selector: { criteria: [{ kind: 'string', method: 'text', value: 'a "b"' }, { kind: 'index', value: 2 }, { kind: 'boolean', method: 'clickable', value: true }] } },
    ]);
    const [scroll] = parseUiAutomator('new UiScrollable(new UiSelector().scrollable(true)).setAsHorizontalList().setMaxSearchSwipes(5).scrollIntoView(new UiSelector().text("x"))');
    expect(scroll).toMatchObject({ kind: 'scrollable', scrollable: { vertical: false, maxSwipes: 5, target: { criteria: [{ method: 'text', value: 'x' }] } } });
    expect(parseUiAutomator('UiSelector().text("a"); new UiSelector().text("b");')).toHaveLength(2);
  });

  it('refuses what it cannot read with invalid selector', () => {
    for (const bad of ['new UiSelector().text(', 'new UiSelector().noSuchMethod("x")', 'new UiSelector().index("1")', 'new Foo()', 'new UiSelector().resourceIdMatches("(")', '']) {
      expect(() => parseUiAutomator(bad), bad).toThrow(ServerError);
      try {
        parseUiAutomator(bad);
      } catch (error) {
        expect((error as ServerError).error).toBe('invalid selector');
      }
    }
  });

  it('matches attributes, regexes, booleans, index and instance', () => {
    expect(find(snap, 'new UiSelector().resourceId("org.example:id/ok")')).toEqual(['OK']);
    expect(find(snap, 'new UiSelector().resourceIdMatches(".*:id/(ok|cancel)")')).toEqual(['OK', 'Cancel']);
    expect(find(snap, 'new UiSelector().resourceIdMatches("ok")')).toEqual([]);
    expect(find(snap, 'new UiSelector().textContains("ow 3")')).toEqual(['Row 3']);
    expect(find(snap, 'new UiSelector().textStartsWith("Row").instance(2)')).toEqual(['Row 2']);
    expect(find(snap, 'new UiSelector().description("cancel it")')).toEqual(['Cancel']);
    expect(find(snap, 'new UiSelector().descriptionContains("cancel")')).toEqual(['Cancel']);
    expect(find(snap, 'new UiSelector().className("android.widget.Button").enabled(true)')).toEqual(['OK']);
    expect(find(snap, 'new UiSelector().checked(true)')).toEqual(['Agree']);
    expect(find(snap, 'new UiSelector().scrollable(true)')).toEqual(['androidx.recyclerview.widget.RecyclerView']);
    expect(find(snap, 'new UiSelector().className("android.widget.Button").index(1)')).toEqual(['Cancel']);
    expect(find(snap, 'new UiSelector().clickable(true).instance(1)')).toEqual(['OK']);
  });

  it('looks for childSelector among descendants and fromParent among siblings', () => {
    expect(find(snap, 'new UiSelector().resourceId("org.example:id/buttons").childSelector(new UiSelector().text("Cancel"))')).toEqual(['Cancel']);
    expect(find(snap, 'new UiSelector().resourceId("org.example:id/list").childSelector(new UiSelector().text("OK"))')).toEqual([]);
    expect(find(snap, 'new UiSelector().text("OK").fromParent(new UiSelector().className("android.widget.Button").index(1))')).toEqual(['Cancel']);
  });

  it('UiScrollable swipes the container until the target shows, and stops at the end', () => {
    let scroll = 0;
    const swipes: number[][] = [];
    const host = {
      snapshot: () => takeSnapshot(screen(scroll)),
      swipe: (x1: number, y1: number, x2: number, y2: number) => {
        swipes.push([x1, y1, x2, y2]);
        const next = Math.max(0, Math.min(1500, scroll - (y2 - y1)));
        const moved = next !== scroll;
        scroll = next;
        return moved;
      },
    };
    const found = findByUiAutomator(host, 'new UiScrollable(new UiSelector().scrollable(true)).scrollIntoView(new UiSelector().text("Row 8"))');
    expect(texts(found)).toEqual(['Row 8']);
    // a swipe over the middle half of the list (y 900..2400), upwards
    expect(swipes[0]).toEqual([540, 2025, 540, 1275]);
    swipes.length = 0;
    expect(findByUiAutomator(host, 'new UiScrollable(new UiSelector().scrollable(true)).scrollIntoView(new UiSelector().text("Row 99"))')).toEqual([]);
    expect(swipes.length).toBeLessThan(10);
  });

  it('matchSelector keeps document order', () => {
    const [statement] = parseUiAutomator('new UiSelector().clickable(true)');
    expect(statement.kind === 'selector' && texts(matchSelector(statement.selector, snap.nodes))).toEqual(['a<b&"c"', 'OK', 'Cancel', 'Agree']);
  });
});

describe('W3C actions', () => {
  const centre = (id: string) => {
    if (id !== 'el') throw new ServerError('no such element', id);
    return { x: 100, y: 200 };
  };
  const touch = (actions: unknown[]) => ({ actions: [{ type: 'pointer', id: 'finger1', parameters: { pointerType: 'touch' }, actions }] });

  it('decodes a tap, a long press and a swipe', () => {
    expect(decodeActions(touch([{ type: 'pointerMove', duration: 0, x: 10, y: 20 }, { type: 'pointerDown', button: 0 }, { type: 'pause', duration: 100 }, { type: 'pointerUp', button: 0 }]), centre)).toEqual([{ kind: 'tap', x: 10, y: 20 }]);
    expect(decodeActions(touch([{ type: 'pointerMove', x: 10, y: 20 }, { type: 'pointerDown' }, { type: 'pause', duration: 1500 }, { type: 'pointerUp' }]), centre)).toEqual([{ kind: 'long-press', x: 10, y: 20, durationMs: 1500 }]);
    expect(decodeActions(touch([{ type: 'pointerMove', x: 540, y: 2000 }, { type: 'pointerDown' }, { type: 'pointerMove', duration: 300, x: 540, y: 1000 }, { type: 'pointerUp' }]), centre)).toEqual([{ kind: 'swipe', x1: 540, y1: 2000, x2: 540, y2: 1000, durationMs: 300 }]);
  });

  it('takes origins: an element centre, the pointer, the viewport', () => {
    expect(decodeActions(touch([{ type: 'pointerMove', x: 5, y: -5, origin: { 'element-6066-11e4-a52e-4f735466cecf': 'el' } }, { type: 'pointerDown' }, { type: 'pointerUp' }]), centre)).toEqual([{ kind: 'tap', x: 105, y: 195 }]);
    expect(decodeActions(touch([{ type: 'pointerMove', x: 100, y: 100 }, { type: 'pointerDown' }, { type: 'pointerMove', x: 0, y: 400, origin: 'pointer', duration: 50 }, { type: 'pointerUp' }]), centre)).toEqual([{ kind: 'swipe', x1: 100, y1: 100, x2: 100, y2: 500, durationMs: 50 }]);
    expect(() => decodeActions(touch([{ type: 'pointerMove', x: 0, y: 0, origin: { ELEMENT: 'gone' } }]), centre)).toThrow(expect.objectContaining({ error: 'no such element' }));
  });

  it('types the characters of a key source and orders gestures by when they end', () => {
    const body = {
      actions: [
        { type: 'key', id: 'kb', actions: [{ type: 'pause', duration: 500 }, { type: 'keyDown', value: 'h' }, { type: 'keyUp', value: 'h' }, { type: 'keyDown', value: 'i' }, { type: 'keyUp', value: 'i' }, { type: 'keyDown', value: '\uE007' }] },
        { type: 'pointer', id: 'f', actions: [{ type: 'pointerMove', x: 1, y: 1 }, { type: 'pointerDown' }, { type: 'pause', duration: 10 }, { type: 'pointerUp' }] },
      ],
    };
    expect(decodeActions(body, centre)).toEqual([{ kind: 'tap', x: 1, y: 1 }, { kind: 'text', text: 'hi\n' }]);
  });

  it('refuses malformed actions with invalid argument', () => {
    for (const bad of [{}, { actions: [{ type: 'pointer' }] }, touch([{ type: 'pointerMove', x: 'a', y: 0 }]), touch([{ type: 'jump' }]), { actions: [{ type: 'gamepad', actions: [] }] }]) {
      expect(() => decodeActions(bad, centre)).toThrow(expect.objectContaining({ error: 'invalid argument' }));
    }
  });
});
