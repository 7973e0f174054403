import { ServerError } from './errors.js';

/**
 * W3C WebDriver actions (`POST /session/:id/actions`) turned into the gestures the phone knows: for
 * each touch pointer, every down...up becomes a tap, a long press (held in place for at least
 * the long-press timeout) or a swipe (from where the finger went down to where it came up, over
 * the time it was down); key sources become typed text.
 */

export const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf';
/** Android's touch slop: a finger that moved less than this stayed in place. */
const TOUCH_SLOP = 24;

export type Gesture =
  | { kind: 'tap'; x: number; y: number }
  | { kind: 'long-press'; x: number; y: number; durationMs: number }
  | { kind: 'swipe'; x1: number; y1: number; x2: number; y2: number; durationMs: number }
  | { kind: 'text'; text: string };

/** Where an element's centre is, for `origin: element` (throws a stale or no-such-element error itself). */
export type ElementCentre = (elementId: string) => { x: number; y: number };

interface PointerState {
  x: number;
  y: number;
  down?: { x: number; y: number; time: number };
}

function number(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ServerError('invalid argument', `${what} must be a number, got ${JSON.stringify(value)}`);
  return value;
}

function elementId(origin: unknown): string | undefined {
  if (origin && typeof origin === 'object') {
    const o = origin as Record<string, unknown>;
    const id = o[ELEMENT_KEY] ?? o.ELEMENT;
    if (typeof id === 'string') return id;
  }
  return undefined;
}

/** Keys of the WebDriver key table that stand for characters; other special keys type nothing. */
const SPECIAL_KEYS: Record<string, string> = { '\uE00D': ' ', '\uE006': '\n', '\uE007': '\n', '\uE004': '\t' };

/**
 * Decodes an actions request into gestures in the order they end. Sources run side by side
 * tick by tick, as the spec says; durations are summed per source (a pause's duration, a move's
 * duration) so that each gesture knows how long the finger was down.
 */
export function decodeActions(body: unknown, centre: ElementCentre): Gesture[] {
  const sources = (body as { actions?: unknown })?.actions;
  if (!Array.isArray(sources)) throw new ServerError('invalid argument', "'actions' must be an array of input sources");
  const gestures: Array<{ end: number; order: number; gesture: Gesture }> = [];
  let order = 0;
  for (const source of sources as Array<Record<string, unknown>>) {
    const type = source?.type;
    const steps = source?.actions;
    if (!Array.isArray(steps)) throw new ServerError('invalid argument', `input source ${JSON.stringify(source?.id)} has no 'actions' array`);
    if (type === 'pointer') {
      const state: PointerState = { x: 0, y: 0 };
      let time = 0;
      for (const step of steps as Array<Record<string, unknown>>) {
        switch (step?.type) {
          case 'pause':
            time += step.duration === undefined ? 0 : number(step.duration, 'pause duration');
            break;
          case 'pointerMove': {
            const duration = step.duration === undefined ? 0 : number(step.duration, 'pointerMove duration');
            const dx = number(step.x ?? 0, 'pointerMove x');
            const dy = number(step.y ?? 0, 'pointerMove y');
            const id = elementId(step.origin);
            if (id) {
              const c = centre(id);
              state.x = c.x + dx;
              state.y = c.y + dy;
            } else if (step.origin === 'pointer') {
              state.x += dx;
              state.y += dy;
            } else if (step.origin === undefined || step.origin === 'viewport') {
              state.x = dx;
              state.y = dy;
            } else {
              throw new ServerError('invalid argument', `pointerMove origin ${JSON.stringify(step.origin)} is not 'viewport', 'pointer' or an element`);
            }
            time += duration;
            break;
          }
          case 'pointerDown':
            state.down = { x: state.x, y: state.y, time };
            break;
          case 'pointerUp': {
            const down = state.down;
            if (!down) break;
            state.down = undefined;
            const held = time - down.time;
            const x1 = Math.round(down.x);
            const y1 = Math.round(down.y);
            const x2 = Math.round(state.x);
            const y2 = Math.round(state.y);
            let gesture: Gesture;
            if (Math.hypot(x2 - x1, y2 - y1) >= TOUCH_SLOP) gesture = { kind: 'swipe', x1, y1, x2, y2, durationMs: Math.max(1, Math.round(held)) };
            else if (held >= 500) gesture = { kind: 'long-press', x: x1, y: y1, durationMs: Math.round(held) };
            else gesture = { kind: 'tap', x: x1, y: y1 };
            gestures.push({ end: time, order: order++, gesture });
            break;
          }
          case 'pointerCancel':
            state.down = undefined;
            break;
          default:
            throw new ServerError('invalid argument', `unknown pointer action ${JSON.stringify(step?.type)}`);
        }
      }
    } else if (type === 'key') {
      let time = 0;
      let text = '';
      for (const step of steps as Array<Record<string, unknown>>) {
        if (step?.type === 'pause') time += step.duration === undefined ? 0 : number(step.duration, 'pause duration');
        else if (step?.type === 'keyDown' && typeof step.value === 'string') text += SPECIAL_KEYS[step.value] ?? (/^[\uE000-\uF8FF]$/.test(step.value) ? '' : step.value);
        else if (step?.type !== 'keyUp') throw new ServerError('invalid argument', `unknown key action ${JSON.stringify(step?.type)}`);
      }
      if (text) gestures.push({ end: time, order: order++, gesture: { kind: 'text', text } });
    } else if (type !== 'none' && type !== 'wheel') {
      throw new ServerError('invalid argument', `unknown input source type ${JSON.stringify(type)}`);
    }
  }
  return gestures.sort((a, b) => a.end - b.end || a.order - b.order).map((g) => g.gesture);
}
