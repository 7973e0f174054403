import { SCREEN, type UiNode, type VirtualApp } from '../../testbed/phone/apps.js';

/**
 * A small app for UI tests of the virtual phone (org.mplab.uitest): a text field, buttons, a
 * checkbox, a status line that says what the last action did, a list of 40 items longer than the
 * screen (scrolled by swipes, each item keyed so that references to items scrolled away go
 * stale), and a second screen ("Details") that BACK leaves.
 */

export const UI_TEST_PACKAGE = 'org.mplab.uitest';
export const UI_TEST_ACTIVITY = '.MainActivity';
const id = (name: string) => `${UI_TEST_PACKAGE}:id/${name}`;

export const ITEM_HEIGHT = 200;
export const LIST_TOP = 700;
export const ITEMS = 40;

export interface UiTestState {
  screen: 'main' | 'details';
  text: string;
  status: string;
  checked: boolean;
  /** Pixels the list has scrolled. */
  scroll: number;
}

export function uiTestApp(): VirtualApp & { state: UiTestState } {
  const state: UiTestState = { screen: 'main', text: '', status: 'Ready', checked: false, scroll: 0 };
  const maxScroll = ITEMS * ITEM_HEIGHT - (SCREEN.height - LIST_TOP);
  const button = (name: string, text: string, bounds: UiNode['bounds']): UiNode => ({ class: 'android.widget.Button', resourceId: id(name), text, bounds, clickable: true, longClickable: true });
  const main = (): UiNode => ({
    class: 'android.widget.LinearLayout',
    resourceId: id('main'),
    bounds: [0, 84, SCREEN.width, SCREEN.height],
    children: [
      { class: 'android.widget.EditText', resourceId: id('field'), text: state.text, hint: 'Type here', bounds: [40, 120, 1040, 240], clickable: true },
      button('add', 'Add', [40, 260, 520, 380]),
      button('details', 'Details', [560, 260, 1040, 380]),
      { class: 'android.widget.CheckBox', resourceId: id('agree'), text: 'Agree', checked: state.checked, bounds: [40, 400, 1040, 500], clickable: true },
      { class: 'android.widget.TextView', resourceId: id('status'), text: state.status, contentDesc: 'status', bounds: [40, 520, 1040, 640] },
      {
        class: 'androidx.recyclerview.widget.RecyclerView',
        resourceId: id('list'),
        bounds: [0, LIST_TOP, SCREEN.width, SCREEN.height],
        scrollable: true,
        children: Array.from({ length: ITEMS }, (_, i) => {
          const top = LIST_TOP + i * ITEM_HEIGHT - state.scroll;
          return {
            class: 'android.widget.TextView',
            resourceId: id('item'),
            key: `item-${i + 1}`,
            text: `Item ${i + 1}`,
            contentDesc: `item ${i + 1}`,
            bounds: [0, top, SCREEN.width, top + ITEM_HEIGHT],
            clickable: true,
            longClickable: true,
          } satisfies UiNode;
        }),
      },
    ],
  });
  const details = (): UiNode => ({
    class: 'android.widget.LinearLayout',
    resourceId: id('details_screen'),
    bounds: [0, 84, SCREEN.width, SCREEN.height],
    children: [{ class: 'android.widget.TextView', resourceId: id('title'), text: 'Details', bounds: [40, 120, 1040, 240] }],
  });
  return {
    package: UI_TEST_PACKAGE,
    label: 'UI Test',
    activity: UI_TEST_ACTIVITY,
    state,
    screen: () => (state.screen === 'main' ? main() : details()),
    onStart: () => {
      Object.assign(state, { screen: 'main', status: 'Ready', scroll: 0 });
    },
    onTap: (node) => {
      const name = node?.resourceId?.replace(`${UI_TEST_PACKAGE}:id/`, '');
      if (name === 'add') state.status = `Added ${state.text}`;
      else if (name === 'details') state.screen = 'details';
      else if (name === 'agree') state.checked = !state.checked;
      else if (name === 'item') state.status = `Tapped ${node!.text}`;
    },
    onLongPress: (node) => {
      if (node?.text) state.status = `Long-pressed ${node.text}`;
    },
    onScroll: (node, _dx, dy) => {
      if (node.resourceId !== id('list')) return false;
      const next = Math.max(0, Math.min(maxScroll, state.scroll - dy));
      const moved = next !== state.scroll;
      state.scroll = next;
      return moved;
    },
    onSetText: (node, text) => {
      if (node.resourceId === id('field')) state.text = text;
    },
    onText: (text) => {
      state.text += text;
    },
    onKey: (keycode) => {
      if (keycode === 4 && state.screen === 'details') {
        state.screen = 'main';
        return true;
      }
      if (keycode === 66) {
        state.status = 'Enter';
        return true;
      }
      return false;
    },
  };
}
