import type { UiNode } from '../../phone/apps.js';
import type { JobEvent } from '../process/protocol.js';
import { formatClock } from './format.js';
import type { Screen } from './screen.js';

/**
 * A media player's view, as a user (and a scenario measuring start-up delay and stalls) sees it:
 * a spinner while it buffers, the play/pause button (its description says which), the position
 * and the length, a seek bar. Each app names the parts with its own ids.
 */
export type PlayerEvent = Extract<JobEvent, { type: 'player' }>;

export interface PlayerIds {
  frame: string;
  playPause: string;
  loading: string;
  position: string;
  duration: string;
  seekBar: string;
}

export interface PlayerModel {
  /** Null until the player's first report. */
  last: PlayerEvent | null;
  /** The content's length; null for a live stream. */
  durationSeconds: number | null;
  error?: string;
}

/** What the player is doing, in words (the frame's description). */
export function playerStatus(model: PlayerModel): string {
  if (model.error) return 'Playback error';
  const state = model.last?.state ?? 'buffering';
  return { buffering: 'Buffering', playing: 'Playing', paused: 'Paused', ended: 'Ended' }[state];
}

export function player(screen: Screen, ids: PlayerIds, model: PlayerModel, options: { height?: number; label: string; onPlayPause: () => void }): void {
  const height = options.height ?? 608;
  const state = model.last?.state ?? 'buffering';
  const live = model.durationSeconds === null;
  screen.frame(
    ids.frame,
    height,
    (place) => {
      const parts: UiNode[] = [];
      if (state === 'buffering' && !model.error) parts.push({ class: 'android.widget.ProgressBar', resourceId: screen.id(ids.loading), contentDesc: 'Loading', bounds: place(456, height / 2 - 84, 624, height / 2 + 84) });
      const button = state === 'playing' ? (live ? 'Pause' : 'Pause video') : state === 'ended' ? 'Replay video' : live ? 'Play' : 'Play video';
      const playPause: UiNode = { class: 'android.widget.ImageView', resourceId: screen.id(ids.playPause), contentDesc: button, clickable: true, bounds: place(456, height / 2 - 84, 624, height / 2 + 84) };
      screen.on(playPause, { tap: options.onPlayPause });
      parts.push(playPause);
      parts.push({ class: 'android.widget.TextView', resourceId: screen.id(ids.position), text: formatClock(model.last?.position ?? 0), bounds: place(42, height - 126, 250, height - 63) });
      parts.push({ class: 'android.widget.TextView', resourceId: screen.id(ids.duration), text: live ? 'LIVE' : formatClock(model.durationSeconds ?? 0), bounds: place(830, height - 126, 1038, height - 63) });
      parts.push({ class: 'android.widget.SeekBar', resourceId: screen.id(ids.seekBar), contentDesc: `${formatClock(model.last?.position ?? 0)} of ${live ? 'live' : formatClock(model.durationSeconds ?? 0)}`, bounds: place(0, height - 42, 1080, height) });
      return parts;
    },
    { desc: `${options.label}. ${playerStatus(model)}` },
  );
}
