import { defineScenario } from './kit/scenario.js';
import type { ScenarioKit } from './kit/scenario-kit.js';
import { literal } from './kit/text.js';

/** Messenger: a text, then a smiley, then a photo in one conversation, each timed from send to delivered. */
const S = {
  thread: (name: string) => ({ id: 'thread_title', text: name }),
  active: { id: 'thread_status', text: 'Active now' },
  composer: { id: 'composer_edit_text' },
  send: { id: 'send_button' },
  emojiButton: { id: 'emoji_button' },
  emoji: (name: string) => ({ id: 'emoji_name', text: name }),
  galleryButton: { id: 'gallery_button' },
  photo: { id: 'media_name', textMatches: 'IMG_.*' },
  sendPhoto: { id: 'send_button', text: 'Send' },
  delivered: (what: string) => ({ descMatches: `${literal(what)}, (Delivered|Seen)` }),
};

/** The smileys a scenario may send, by the name the emoji picker shows, and what the conversation then shows. */
const SMILEYS: Record<string, string> = {
  'Smiling face with smiling eyes': '😊',
  'Face with tears of joy': '😂',
  'Thumbs up': '👍',
  'Red heart': '❤️',
};

async function timed(kit: ScenarioKit, item: string, send: () => Promise<void>, delivered: string): Promise<void> {
  kit.mark(`${item}-send`);
  await send();
  await kit.find(S.delivered(delivered), 60);
  kit.mark(`${item}-delivered`);
  kit.measureSeconds('delivery-time', kit.between(`${item}-send`, `${item}-delivered`), { item });
}

export const messenger = defineScenario({
  name: 'messenger',
  app: { package: 'com.facebook.orca', label: 'Messenger' },
  description: 'send a text, then a smiley, then a photo in a conversation',
  selectorsFrom: 'Messenger ids (thread_title, composer_edit_text, send_button) as the virtual app has them; run here only against the virtual app',
  params: {
    contact: { default: 'Alice Martin', description: 'the conversation' },
    smiley: { default: 'Smiling face with smiling eyes', description: 'the smiley, by its name' },
  },
  async run(kit) {
    await kit.openFresh();
    await kit.tap(S.thread(kit.param<string>('contact')));
    await kit.find(S.active, 30);
    const text = `Hi from mplab ${Date.now() % 100000}`;
    await kit.type(S.composer, text);
    await timed(kit, 'text', () => kit.tap(S.send), text);
    const name = kit.param<string>('smiley');
    const emoji = SMILEYS[name];
    if (!emoji) throw new Error(`--param smiley: expected one of ${Object.keys(SMILEYS).join(', ')}`);
    await timed(
      kit,
      'smiley',
      async () => {
        await kit.tap(S.emojiButton);
        await (await kit.scrollTo(S.emoji(name))).click();
      },
      emoji,
    );
    await kit.tap(S.galleryButton);
    await kit.tap(S.photo);
    await timed(kit, 'photo', () => kit.tap(S.sendPhoto), 'Photo');
  },
});
