import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineApp } from '../../../../testbed/apps/kit/app.js';
import { faultFor, parseFaults } from '../../../../testbed/apps/kit/faults.js';
import { Screen } from '../../../../testbed/apps/kit/screen.js';
import { ScriptedPhone, settle } from '../../../support/scripted-app.js';

/** A small app on the kit: a list of 40 rows, a detail screen with a field, and an action that a fault can hit. */
function sampleApp(done: string[]) {
  const rows = Array.from({ length: 40 }, (_, i) => `Row ${i}`);
  return defineApp<{ count: number }>({
    package: 'org.mplab.sample',
    label: 'Sample',
    activity: '.Main',
    actions: ['start', 'go'],
    home: 'home',
    initial: () => ({ count: 0 }),
    leave: { detail: () => done.push('left detail') },
    screens: {
      home: (screen, app) => {
        screen.toolbar('Sample');
        screen.button('go', `Go ${app.state.count}`, () => app.action('go', () => (app.state.count += 1)));
        screen.list('rows', rows, {
          scroll: app.scroll('rows'),
          rowId: 'row',
          render: (r, row) => row.title('row_title', r),
          onTap: (r) => app.navigate('detail', { row: r }),
          onPullDown: () => done.push('refresh'),
        });
      },
      detail: (screen, app, params) => {
        screen.toolbar(String(params.row), { up: () => app.back() });
        screen.field('note', app.input(screen, 'note', { hint: 'Note', onSubmit: () => done.push(`submit ${app.fieldText('note')}`) }));
      },
    },
  });
}

describe('the app kit: screens', () => {
  it('a list holds only its rows on screen, cut to its bounds, and scrolls within its content', () => {
    const screen = new Screen('org.mplab.x');
    const state = { offset: 0 };
    screen.toolbar('X');
    screen.list('items', Array.from({ length: 30 }, (_, i) => i), { scroll: state, render: (i, row) => row.title('t', `Item ${i}`) });
    const list = screen.build().children!.find((n) => n.resourceId === 'org.mplab.x:id/items')!;
    const [, top, , bottom] = list.bounds;
    expect(list.scrollable).toBe(true);
    const visible = Math.ceil((bottom - top) / 189);
    expect(list.children).toHaveLength(visible);
    for (const row of list.children!) expect(row.bounds[3]).toBeLessThanOrEqual(bottom);
    // the last visible row is cut at the list's bottom edge
    expect(list.children!.at(-1)!.bounds[3]).toBe(bottom);

    const handlers = screen.handlers.get(list)!;
    expect(handlers.scroll!(-1000)).toBe(true);
    expect(state.offset).toBe(1000);
    expect(handlers.scroll!(-1_000_000)).toBe(true);
    expect(state.offset).toBe(30 * 189 - (bottom - top));
    expect(handlers.scroll!(-10)).toBe(false);

    const again = new Screen('org.mplab.x');
    again.toolbar('X');
    again.list('items', Array.from({ length: 30 }, (_, i) => i), { scroll: state, render: (i, row) => row.title('t', `Item ${i}`) });
    const rows = again.build().children![1].children!;
    expect(rows.at(-1)!.children![0].text).toBe('Item 29');
    expect(rows[0].children?.[0]?.text ?? '').not.toBe('Item 0');
  });

  it('a list whose rows fit is not scrollable', () => {
    const screen = new Screen('org.mplab.x');
    screen.list('items', [1, 2, 3], { scroll: { offset: 0 }, render: (i, row) => row.title('t', String(i)) });
    expect(screen.build().children![0].scrollable).toBe(false);
  });
});

describe('the app kit: an app on the phone', () => {
  afterEach(() => vi.useRealTimers());

  it('taps, scrolls, navigates, and BACK leaves screens, then the app', () => {
    const done: string[] = [];
    const phone = new ScriptedPhone([sampleApp(done)]);
    phone.start('org.mplab.sample');
    expect(phone.find({ id: 'org.mplab.sample:id/row_title', text: 'Row 30' })).toBeUndefined();
    phone.scrollTo({ id: 'org.mplab.sample:id/rows' }, { id: 'org.mplab.sample:id/row_title', text: 'Row 30' });
    phone.tap({ id: 'org.mplab.sample:id/row_title', text: 'Row 30' });
    expect(phone.find({ text: 'Row 30' })?.class).toBe('android.widget.TextView');
    expect(phone.find({ id: 'org.mplab.sample:id/note' })).toBeDefined();
    phone.key(4);
    expect(done).toEqual(['left detail']);
    expect(phone.system.foreground().package).toBe('org.mplab.sample');
    phone.key(4);
    expect(phone.system.foreground().package).toBe('com.android.launcher3');
  });

  it('a pull down at the top of a list refreshes it', () => {
    const done: string[] = [];
    const phone = new ScriptedPhone([sampleApp(done)]);
    phone.start('org.mplab.sample');
    const [l, t, r] = phone.get({ id: 'org.mplab.sample:id/rows' }).bounds;
    expect(phone.system.swipe((l + r) / 2, t + 50, (l + r) / 2, t + 900, 300)).toBe(true);
    expect(done).toEqual(['refresh']);
  });

  it('fields: a tap focuses, input text appends, DEL deletes, ENTER submits, setText replaces (also on a node from an older look)', () => {
    const done: string[] = [];
    const phone = new ScriptedPhone([sampleApp(done)]);
    phone.start('org.mplab.sample');
    phone.tap({ id: 'org.mplab.sample:id/row_title', text: 'Row 1' });
    const stale = phone.get({ id: 'org.mplab.sample:id/note' });
    expect(stale.text).toBe('Note');
    expect(stale.focused).toBe(false);
    phone.tap({ id: 'org.mplab.sample:id/note' });
    expect(phone.get({ id: 'org.mplab.sample:id/note' }).focused).toBe(true);
    phone.type('hello');
    phone.key(67);
    expect(phone.get({ id: 'org.mplab.sample:id/note' }).text).toBe('hell');
    phone.key(66);
    expect(done).toEqual(['submit hell']);
    phone.system.setText(stale, 'replaced');
    expect(phone.get({ id: 'org.mplab.sample:id/note' }).text).toBe('replaced');
  });

  it('a crash fault on an action: FATAL EXCEPTION in the crash buffer, the process killed, the app gone', async () => {
    const phone = new ScriptedPhone([sampleApp([])]);
    const proc = phone.start('org.mplab.sample');
    const pid = phone.system.pidOf('org.mplab.sample');
    expect(pid).toBe(proc.child.pid);
    await phone.system.setProperty('debug.mplab.fault.org.mplab.sample', 'crash:go', 2000);
    phone.tap({ id: 'org.mplab.sample:id/go' });
    const lines = phone.system.logs.entries(['crash']).map((e) => e.message);
    expect(lines).toContain('FATAL EXCEPTION: main');
    expect(lines).toContain(`Process: org.mplab.sample, PID: ${pid}`);
    expect(lines.some((l) => /IllegalStateException: go failed/.test(l))).toBe(true);
    expect(proc.child.signalCode).toBe('SIGKILL');
    expect(phone.system.isRunning('org.mplab.sample')).toBe(false);
    expect(phone.system.foreground().package).toBe('com.android.launcher3');
    await settle();
  });

  it('a hang fault: the screen stops changing, input is ignored, and 5 s after a touch the system offers to close the app', async () => {
    vi.useFakeTimers();
    const phone = new ScriptedPhone([sampleApp([])]);
    const proc = phone.start('org.mplab.sample');
    await phone.system.setProperty('debug.mplab.fault.org.mplab.sample', 'hang:go', 2000);
    phone.tap({ id: 'org.mplab.sample:id/go' });
    const frozen = phone.system.windowDump();
    phone.tap({ id: 'org.mplab.sample:id/row_title', text: 'Row 2' });
    expect(phone.system.windowDump()).toBe(frozen);
    vi.advanceTimersByTime(4900);
    expect(phone.find({ id: 'android:id/aerr_close' })).toBeUndefined();
    vi.advanceTimersByTime(200);
    expect(phone.get({ id: 'android:id/alertTitle' }).text).toBe("Sample isn't responding");
    expect(phone.get({ id: 'android:id/aerr_close' }).package).toBe('android');
    phone.tap({ id: 'android:id/aerr_close' });
    expect(proc.child.signalCode).toBe('SIGKILL');
    expect(phone.system.isRunning('org.mplab.sample')).toBe(false);
  });

  it('a dialog fault shows a dialog instead of the action; dismissed, the app goes on', async () => {
    const phone = new ScriptedPhone([sampleApp([])]);
    phone.start('org.mplab.sample');
    await phone.system.setProperty('debug.mplab.fault.org.mplab.sample', 'dialog:go', 2000);
    phone.tap({ id: 'org.mplab.sample:id/go', text: 'Go 0' });
    expect(phone.get({ id: 'android:id/alertTitle' }).text).toBe('Rate Sample');
    expect(phone.find({ id: 'org.mplab.sample:id/go' })).toBeUndefined();
    phone.tap({ id: 'android:id/button2' });
    await phone.system.setProperty('debug.mplab.fault.org.mplab.sample', '', 2000);
    phone.tap({ id: 'org.mplab.sample:id/go', text: 'Go 0' });
    expect(phone.get({ id: 'org.mplab.sample:id/go' }).text).toBe('Go 1');
  });

  it('a fault on start crashes the app as it launches', async () => {
    const phone = new ScriptedPhone([sampleApp([])]);
    await phone.system.setProperty('debug.mplab.fault.org.mplab.sample', 'crash:start', 2000);
    phone.system.startActivity('org.mplab.sample');
    expect(phone.system.isRunning('org.mplab.sample')).toBe(false);
    expect(phone.system.logs.entries(['crash']).some((e) => e.message === 'FATAL EXCEPTION: main')).toBe(true);
  });
});

describe('fault properties', () => {
  it('reads KIND:ACTION lists, ignores what is not one, and * matches every action', () => {
    expect(parseFaults('crash:send, hang:play,bogus,dialog:')).toEqual([
      { kind: 'crash', action: 'send' },
      { kind: 'hang', action: 'play' },
    ]);
    expect(faultFor('crash:send', 'send')).toBe('crash');
    expect(faultFor('crash:send', 'play')).toBeUndefined();
    expect(faultFor('dialog:*', 'play')).toBe('dialog');
    expect(faultFor(undefined, 'play')).toBeUndefined();
  });
});
