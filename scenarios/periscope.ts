import { measurePlayback } from './kit/player-watch.js';
import { defineScenario } from './kit/scenario.js';

/**
 * Periscope (001_fc72a23e1433fd38.txt): a live broadcast watched over HLS (the chunk list polled
 * every 2-2.8 s) or over the RTMP-like push stream; the join time and the stalling ratio (time with
 * nothing to play over the time watched).
 */
const S = {
  broadcast: (transport: string) => ({ id: 'broadcast_row', descMatches: `.*, ${transport.toUpperCase()}` }),
  player: { id: 'broadcast_player' },
};

export const periscope = defineScenario({
  name: 'periscope',
  app: { package: 'tv.periscope.android', label: 'Periscope' },
  description: 'watch a live broadcast (HLS or RTMP), measuring the join time and the stalling ratio',
  selectorsFrom: 'Periscope ids (broadcast_list, broadcast_row, broadcast_player) as the virtual app has them; run here only against the virtual app',
  params: {
    watchSeconds: { default: 60, description: 'seconds of the broadcast watched' },
    transport: { default: 'hls', description: 'hls or rtmp' },
  },
  async run(kit) {
    const transport = kit.param<string>('transport');
    if (transport !== 'hls' && transport !== 'rtmp') throw new Error(`--param transport: expected hls or rtmp, got ${JSON.stringify(transport)}`);
    await kit.openFresh();
    await (await kit.scrollTo(S.broadcast(transport))).click();
    kit.mark('joined');
    await measurePlayback(kit, { view: S.player, playing: /\. Playing$/, buffering: /\. Buffering$/ }, kit.param<number>('watchSeconds'), `live (${transport})`, 40);
  },
});
