import { defineScenario } from './kit/scenario.js';
import type { ScenarioKit } from './kit/scenario-kit.js';
import { literal } from './kit/text.js';

/** Facebook: refresh the news feed, write a status, take and share a photo with a description, check in. */
const S = {
  refreshing: { id: 'refresh_progress' },
  home: { text: 'Home' },
  composer: { id: 'feed_composer' },
  status: { id: 'status_text' },
  post: { id: 'post_button' },
  photo: { id: 'photo_button' },
  shutter: { id: 'shutter_button' },
  checkin: { id: 'checkin_button' },
  placesSearch: { id: 'places_search' },
  place: (name: string) => ({ id: 'place_name', text: name }),
  posted: (text: string) => ({ id: 'feed_story_message', textMatches: `${literal(text)}.*` }),
  posting: { id: 'posting_status' },
};

async function publish(kit: ScenarioKit, item: string, text: string): Promise<void> {
  await kit.type(S.status, text);
  kit.mark(`${item}-post`);
  await kit.tap(S.post);
  await kit.find(S.posted(text), 60);
  await kit.waitGone(S.posting, 60);
  kit.mark(`${item}-posted`);
  kit.measureSeconds('post-time', kit.between(`${item}-post`, `${item}-posted`), { item });
}

export const facebook = defineScenario({
  name: 'facebook',
  app: { package: 'com.facebook.katana', label: 'Facebook' },
  description: 'refresh the news feed, write a status, take and share a photo with a description, check in',
  selectorsFrom: 'Facebook ids (news_feed_list, feed_composer, status_text, post_button) as the virtual app has them; run here only against the virtual app',
  params: { place: { default: 'Université catholique de Louvain', description: 'where to check in' } },
  async run(kit) {
    await kit.openFresh();
    // the feed refreshes when the app opens; then once more from the Home tab
    await kit.waitGone(S.refreshing, 30);
    await kit.tap(S.home);
    kit.mark('refresh');
    await kit.find(S.refreshing, 5).catch(() => undefined);
    await kit.waitGone(S.refreshing, 30);
    kit.mark('refreshed');
    kit.measureSeconds('refresh-time', kit.between('refresh', 'refreshed'), { item: 'feed' });

    const stamp = new Date().toISOString().slice(11, 19);
    await kit.tap(S.composer);
    await publish(kit, 'status', `Measuring MPTCP at ${stamp}`);

    await kit.tap(S.photo);
    await kit.tap(S.shutter);
    await publish(kit, 'photo', `A photo from the lab at ${stamp}`);

    const place = kit.param<string>('place');
    await kit.tap(S.checkin);
    await kit.type(S.placesSearch, place.slice(0, 12));
    await kit.tap(S.place(place), 30);
    await publish(kit, 'checkin', `Here at ${stamp}`);
  },
});
