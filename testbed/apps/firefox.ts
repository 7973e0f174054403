import { defineApp, type App } from './kit/app.js';
import { base, PORTS, WEB_SITES, type WebSite } from './servers.js';

/**
 * Firefox: the home screen's top sites (the scenario's 12 sites, more than a screen holds), the
 * address bar, and pages loaded as a browser loads them: the page, then its objects over up to 6
 * connections to the site, kept in the app's disk cache (/data/data/org.mozilla.firefox/cache,
 * which pm clear empties: the scenario's empty cache). While a page loads the toolbar shows a
 * progress bar; once loaded, the page's view is described by the page's title.
 * Actions (for faults): start, load.
 */
const CACHE = '/data/data/org.mozilla.firefox/cache/web';
const URL_VIEW = 'mozac_browser_toolbar_url_view';
const URL_EDIT = 'mozac_browser_toolbar_edit_url_view';

interface Page {
  site: WebSite | null;
  typed: string;
  loaded: number;
  total: number;
  startedAt: number;
  ms: number | null;
  fromCache: number;
  error?: string;
}

interface State {
  page: Page | null;
}

/** The site a typed address names ("google.com", "https://www.google.com/", "Google"). */
export function siteFor(text: string): WebSite | null {
  const host = text.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/^www\./, '').replace(/\/.*$/, '');
  return WEB_SITES.find((s) => s.host === host || s.title.toLowerCase() === host) ?? null;
}

function load(app: App<State>, typed: string): void {
  app.action('load', () => {
    const site = siteFor(typed);
    const page: Page = { site, typed, loaded: 0, total: 0, startedAt: Date.now(), ms: null, fromCache: 0 };
    app.state.page = page;
    app.navigate('browser', {}, { replace: true });
    if (!site) {
      page.ms = 0;
      page.error = "Hmm. We're having trouble finding that site.";
      return;
    }
    app.job({ kind: 'page', url: `${base(site, PORTS.http)}/page/${site.host}?objects=${site.objects}&size=${site.size}`, cacheDir: `${CACHE}/${site.host}`, parallel: 6 }, (event) => {
      if (app.state.page !== page) return;
      if (event.type === 'progress' && event.items) {
        page.loaded = event.items.done;
        page.total = event.items.total;
      } else if (event.type === 'done') {
        page.ms = event.ms;
        page.loaded = page.total = event.objects ?? 0;
        page.fromCache = event.fromCache ?? 0;
        app.log('I', 'GeckoSession', `loaded ${site.host}: ${event.objects} objects (${event.fromCache} from cache), ${event.bytes} bytes in ${event.ms} ms`);
      } else if (event.type === 'error') {
        page.ms = Date.now() - page.startedAt;
        page.error = 'The connection has timed out';
      }
    });
  });
}

/** The address bar in edit mode, focused (the keyboard up), as a tap on the URL opens it. */
function edit(app: App<State>): void {
  app.navigate('edit');
  app.focus = URL_EDIT;
}

export function firefox() {
  return defineApp<State>({
    package: 'org.mozilla.firefox',
    label: 'Firefox',
    activity: 'org.mozilla.fenix.HomeActivity',
    actions: ['start', 'load'],
    home: 'home',
    initial: () => ({ page: null }),
    screens: {
      home: (screen, app) => {
        screen.text(URL_VIEW, 'Search or enter address', { onTap: () => edit(app) });
        screen.text('top_sites_header', 'Shortcuts');
        screen.list('top_sites_list', WEB_SITES, {
          scroll: app.scroll('top_sites'),
          rowHeight: 252,
          rowId: 'top_site_item',
          rowDesc: (s) => s.title,
          render: (s, row) => row.icon('favicon_image', s.title).title('top_site_title', s.host),
          onTap: (s) => load(app, s.host),
        });
      },
      edit: (screen, app) => {
        const typed = app.fieldText(URL_EDIT);
        screen.field(URL_EDIT, app.input(screen, URL_EDIT, { hint: 'Search or enter address', onSubmit: () => load(app, app.fieldText(URL_EDIT)) }));
        const suggestions = WEB_SITES.filter((s) => typed && (s.host.startsWith(typed.toLowerCase()) || s.title.toLowerCase().includes(typed.toLowerCase())));
        screen.list('mozac_browser_awesomebar', suggestions, {
          scroll: app.scroll('suggestions'),
          rowId: 'mozac_browser_awesomebar_item',
          rowDesc: (s) => s.title,
          render: (s, row) => row.title('mozac_browser_awesomebar_title', s.title).subtitle('mozac_browser_awesomebar_description', `https://www.${s.host}/`),
          onTap: (s) => load(app, s.host),
        });
      },
      browser: (screen, app) => {
        const page = app.state.page;
        if (!page) return;
        const title = page.error ? 'Problem loading page' : page.site && page.ms !== null ? page.site.title : '';
        screen.text(URL_VIEW, page.site ? page.site.host : page.typed, { onTap: () => edit(app) });
        if (page.ms === null) screen.progress('mozac_browser_toolbar_progress', page.total ? page.loaded / page.total : 0);
        screen.frame(
          'engineView',
          screen.remaining,
          (place) => [{ class: 'android.widget.TextView', text: page.error ?? title, bounds: place(42, 42, 1038, 168) }],
          { class: 'android.webkit.WebView', desc: title },
        );
      },
    },
  });
}
