import type { Video } from './kit/video-app.js';

/**
 * The videos the video apps list. The scenarios play the same three HD open films on YouTube and
 * Dailymotion, in order; the other videos fill the feeds so that the films are not all on the
 * first screen.
 */
export const HD_FILMS = [
  { title: 'Big Buck Bunny 60fps 4K - Official Blender Foundation Short Film', channel: 'Blender', seconds: 635, views: '19M' },
  { title: 'Sintel - Open Movie by Blender Foundation', channel: 'Blender', seconds: 888, views: '10M' },
  { title: 'Tears of Steel - Blender VFX Open Movie', channel: 'Blender', seconds: 734, views: '8.5M' },
] as const;

const FILLERS: Array<[string, string, number, string]> = [
  ['Top 10 Goals of the Season', 'Football Daily', 612, '2.3M'],
  ['How to Make Perfect Pancakes', 'Kitchen Basics', 402, '5.1M'],
  ['Lofi Hip Hop Radio - Beats to Relax', 'Chill Music', 3600, '40M'],
  ['The Most Beautiful Places in Iceland', 'Travel Stories', 845, '1.2M'],
  ['Learn Python in 20 Minutes', 'Code Academy', 1210, '3.8M'],
  ['Cat Compilation 2015', 'Funny Pets', 480, '12M'],
  ['Tesla Model S Review', 'Car Channel', 930, '2.0M'],
  ['10 Minute Morning Workout', 'FitLife', 600, '7.7M'],
  ['Street Food in Bangkok', 'Food Ranger', 1105, '4.4M'],
  ['Guitar Lesson for Beginners', 'Music Lessons', 1320, '900K'],
  ['NASA Mars Rover Landing Explained', 'Space Now', 720, '3.1M'],
  ['Minecraft Survival Episode 1', 'GamerZ', 1800, '2.6M'],
  ['Amazing Magic Tricks Revealed', 'Magic World', 540, '6.2M'],
  ['How the Internet Works', 'Tech Explained', 660, '1.9M'],
  ['Tiny House Tour', 'Small Living', 780, '2.2M'],
  ['World Cup Highlights', 'Sport TV', 900, '15M'],
  ['DIY Wooden Shelf', 'Maker Space', 690, '800K'],
  ['Best of Stand-up Comedy', 'Comedy Club', 1500, '4.9M'],
  ['Photography Tips for Beginners', 'Photo School', 840, '1.1M'],
  ['Deep Sea Creatures', 'Ocean Life', 1020, '3.3M'],
  ['Cooking Ramen at Home', 'Kitchen Basics', 730, '2.8M'],
  ['Drone Footage of the Alps', 'Sky Views', 600, '1.6M'],
  ['Chess Opening Traps', 'Chess Masters', 960, '700K'],
  ['Learn Spanish in 30 Days', 'Language Hub', 1400, '2.4M'],
  ['History of the Roman Empire', 'History Now', 2400, '5.5M'],
  ['Piano Cover of Popular Songs', 'Keys & Chords', 1250, '3.0M'],
  ['Skateboarding Tricks Compilation', 'Board Life', 510, '1.4M'],
];

/** The catalogue of one app: fillers with the three films at positions 4, 12 and 21 (scrolling reaches them), each with the app's own kind of id. */
export function catalogue(idOf: (title: string, index: number) => string): Video[] {
  const videos: Video[] = FILLERS.map(([title, channel, seconds, views]) => ({ id: '', title, channel, seconds, views }));
  const films = HD_FILMS.map((f) => ({ ...f, id: '' }));
  videos.splice(3, 0, films[0]);
  videos.splice(11, 0, films[1]);
  videos.splice(20, 0, films[2]);
  return videos.map((v, i) => ({ ...v, id: idOf(v.title, i) }));
}

/** A stable id of a title (a hash in base 36). */
export function slug(title: string, length: number): string {
  let h = 5381;
  for (const c of title) h = (Math.imul(h, 33) ^ c.charCodeAt(0)) >>> 0;
  return h.toString(36).padStart(length, '0').slice(0, length);
}
