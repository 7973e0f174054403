import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { log } from '../../../../common/log.js';
import { SCREEN, type UiNode, type VirtualApp } from '../../../../testbed/phone/apps.js';
import { defaultState } from '../../../../testbed/phone/state.js';
import { PhoneSystem } from '../../../../testbed/phone/system.js';

/** An app with a scrollable list of 30 rows (10 visible), a field and a button, recording what reaches it. */
function listApp(seen: string[]): VirtualApp {
  let offset = 0;
  let field = '';
  const row = 200;
  return {
    package: 'org.mplab.list',
    label: 'List',
    activity: '.Main',
    screen: () => ({
      class: 'android.widget.FrameLayout',
      bounds: [0, 84, SCREEN.width, SCREEN.height],
      children: [
        { class: 'android.widget.EditText', resourceId: 'org.mplab.list:id/field', text: field, hint: 'Type', bounds: [0, 84, SCREEN.width, 284] },
        { class: 'android.widget.Button', resourceId: 'org.mplab.list:id/button', text: 'Go', clickable: true, longClickable: true, bounds: [0, 284, SCREEN.width, 400] },
        {
          class: 'androidx.recyclerview.widget.RecyclerView',
          resourceId: 'org.mplab.list:id/rows',
          scrollable: true,
          bounds: [0, 400, SCREEN.width, 2400],
          children: Array.from({ length: 10 }, (_, i): UiNode => {
            const top = 400 + i * row;
            return { class: 'android.widget.TextView', text: `Row ${offset + i}`, clickable: true, bounds: [0, top, SCREEN.width, top + row] };
          }),
        },
      ],
    }),
    onTap: (node) => seen.push(`tap ${node?.text}`),
    onLongPress: (node, _x, _y, ms) => seen.push(`long ${node?.text} ${ms}`),
    onScroll: (node, _dx, dy) => {
      const before = offset;
      offset = Math.max(0, Math.min(20, offset - Math.round(dy / row)));
      seen.push(`scroll ${node.resourceId} ${offset - before}`);
      return offset !== before;
    },
    onSetText: (node, text) => {
      field = text;
      seen.push(`set ${node.resourceId} ${text}`);
    },
  };
}

describe('input on the virtual phone reaches the app in front', () => {
  let dir: string;
  let system: PhoneSystem;
  const seen: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mplabt-input-'));
    const logger = log('test');
    logger.level = 'silent';
    system = new PhoneSystem({ identity: { name: 'p', product: 'p', model: 'M', device: 'd', serialno: 'S', rooted: true }, netns: 'mplabt-unused', dir, interfaces: { wifi: 'wlan0', cellular: 'rmnet0' }, apps: [listApp(seen)], logger });
    system.state = defaultState({ name: 'p', model: 'M' });
    system.startActivity('org.mplab.list');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a short touch is a tap, one held 500 ms or more a long press', () => {
    system.longPress(100, 300, 100);
    system.longPress(100, 300, 800);
    expect(seen.splice(0)).toEqual(['tap Go', 'long Go 800']);
  });

  it('a swipe on a list scrolls that list, and reports whether it moved', () => {
    expect(system.swipe(500, 2000, 500, 1000, 300)).toBe(true);
    expect(system.screenHierarchy().root?.children?.[2].children?.[0].text).toBe('Row 5');
    expect(system.swipe(500, 1000, 500, 2000, 300)).toBe(true);
    expect(system.swipe(500, 1000, 500, 2000, 300)).toBe(false);
    // a swipe that starts off the list scrolls nothing
    expect(system.swipe(500, 150, 500, 100, 300)).toBe(false);
    expect(seen.splice(0)).toEqual(['scroll org.mplab.list:id/rows 5', 'scroll org.mplab.list:id/rows -5', 'scroll org.mplab.list:id/rows 0']);
  });

  it('setText gives the field its whole text', () => {
    const field = system.screenHierarchy().root!.children![0];
    system.setText(field, 'hello');
    expect(seen.splice(0)).toEqual(['set org.mplab.list:id/field hello']);
    expect(system.windowDump()).toMatch(/text="hello" resource-id="org\.mplab\.list:id\/field"/);
  });
});
