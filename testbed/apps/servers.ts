/**
 * Where the virtual apps' servers are: an address of its own in the lab's origin namespace for
 * each service an app talks to (198.19.1.0/24, the web's sites in 198.19.2.0/24), on the ports
 * the real service uses, so that a trace tells the apps apart by destination. The origin serves
 * every one of its addresses alike (testbed/origin/server.ts); the lab gives it these addresses
 * and names them in the proxy's hosts file.
 */
export interface AppServer {
  /** The real service's host name (what the proxy's hosts file maps to the address). */
  name: string;
  address: string;
}

export const SERVERS = {
  facebookApi: { name: 'graph.facebook.com', address: '198.19.1.1' },
  facebookCdn: { name: 'scontent.xx.fbcdn.net', address: '198.19.1.2' },
  facebookMqtt: { name: 'edge-mqtt.facebook.com', address: '198.19.1.3' },
  facebookUpload: { name: 'rupload.facebook.com', address: '198.19.1.4' },
  dropboxApi: { name: 'api.dropboxapi.com', address: '198.19.1.10' },
  dropboxContent: { name: 'content.dropboxapi.com', address: '198.19.1.11' },
  googleApis: { name: 'www.googleapis.com', address: '198.19.1.20' },
  youtubeApi: { name: 'youtubei.googleapis.com', address: '198.19.1.30' },
  youtubeImages: { name: 'i.ytimg.com', address: '198.19.1.31' },
  youtubeVideo: { name: 'rr1---sn-mplab.googlevideo.com', address: '198.19.1.32' },
  dailymotionApi: { name: 'graphql.api.dailymotion.com', address: '198.19.1.40' },
  dailymotionVideo: { name: 'proxy-01.dailymotion.com', address: '198.19.1.41' },
  spotifyAccessPoint: { name: 'ap.spotify.com', address: '198.19.1.50' },
  spotifyApi: { name: 'spclient.wg.spotify.com', address: '198.19.1.51' },
  spotifyAudio: { name: 'audio-ak.spotifycdn.com', address: '198.19.1.52' },
  whatsappChat: { name: 'g.whatsapp.net', address: '198.19.1.60' },
  whatsappMedia: { name: 'mmg.whatsapp.net', address: '198.19.1.61' },
  periscopeApi: { name: 'api.periscope.tv', address: '198.19.1.70' },
  periscopeHls: { name: 'prod-video-eu-central-1.pscp.tv', address: '198.19.1.71' },
  periscopeRtmp: { name: 'vidman-eu-central-1.periscope.tv', address: '198.19.1.72' },
} as const satisfies Record<string, AppServer>;

/** Ports: HTTP(S) 443 and 80, the chat's 5222, RTMP's 1935, Spotify's access point 4070 (the origin speaks HTTP, or its chat protocol, on each). */
export const PORTS = { https: 443, http: 80, xmpp: 5222, rtmp: 1935, spotify: 4070 } as const;

/** The web as Firefox sees it: the 12 sites of the scenario, each at its own address, pages of many objects. */
export interface WebSite {
  host: string;
  title: string;
  address: string;
  /** How many objects the main page references, and their mean size in bytes. */
  objects: number;
  size: number;
}

const SITES: Array<[string, string, number, number]> = [
  ['google.com', 'Google', 14, 24_000],
  ['youtube.com', 'YouTube', 48, 22_000],
  ['facebook.com', 'Facebook – log in or sign up', 30, 26_000],
  ['baidu.com', '百度一下，你就知道', 18, 14_000],
  ['yahoo.com', 'Yahoo', 92, 16_000],
  ['wikipedia.org', 'Wikipedia', 22, 12_000],
  ['amazon.com', 'Amazon.com: Online Shopping', 110, 18_000],
  ['twitter.com', 'Twitter', 36, 20_000],
  ['qq.com', '腾讯首页', 120, 10_000],
  ['taobao.com', '淘宝网 - 淘！我喜欢', 96, 12_000],
  ['live.com', 'Outlook.com', 40, 22_000],
  ['linkedin.com', 'LinkedIn: Log In or Sign Up', 44, 20_000],
];

export const WEB_SITES: WebSite[] = SITES.map(([host, title, objects, size], i) => ({ host, title, address: `198.19.2.${i + 1}`, objects, size }));

/** Every address the origin answers for the apps. */
export function serverAddresses(): string[] {
  return [...Object.values(SERVERS).map((s) => s.address), ...WEB_SITES.map((s) => s.address)];
}

/** hosts(5) lines naming them (for the proxy, which resolves the names SOCKS clients send). */
export function serverHostsLines(): string[] {
  return [...Object.values(SERVERS).map((s) => `${s.address} ${s.name}`), ...WEB_SITES.map((s) => `${s.address} ${s.host} www.${s.host}`)];
}

/** `http://ADDRESS:PORT` of a server. */
export function base(server: AppServer | WebSite, port: number = PORTS.https): string {
  return port === 80 ? `http://${server.address}` : `http://${server.address}:${port}`;
}
