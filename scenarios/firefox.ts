import { defineScenario } from './kit/scenario.js';

/**
 * Firefox: the main page of the 12 most popular web sites (of the study's time) with an empty cache
 * (the app's data is cleared before it opens), each page timed from Enter to the end of loading
 * (the toolbar's progress bar gone and the page's title shown).
 */
export const SITES = ['google.com', 'youtube.com', 'facebook.com', 'baidu.com', 'yahoo.com', 'wikipedia.org', 'amazon.com', 'twitter.com', 'qq.com', 'taobao.com', 'live.com', 'linkedin.com'];

const S = {
  urlView: { id: 'mozac_browser_toolbar_url_view' },
  urlEdit: { id: 'mozac_browser_toolbar_edit_url_view' },
  progress: { id: 'mozac_browser_toolbar_progress' },
  page: { id: 'engineView', descMatches: '.+' },
  error: { textContains: 'having trouble finding that site' },
};

export const firefox = defineScenario({
  name: 'firefox',
  app: { package: 'org.mozilla.firefox', label: 'Firefox' },
  description: 'load the main page of the 12 most popular web sites with an empty cache, timing each',
  selectorsFrom: 'Firefox (Fenix) ids mozac_browser_toolbar_* and engineView as the virtual app has them; run here only against the virtual app',
  params: { pages: { default: 12, description: 'how many of the sites to load, in order' } },
  async run(kit) {
    await kit.openFresh();
    for (const site of SITES.slice(0, kit.param<number>('pages'))) {
      await kit.tap(S.urlView);
      await kit.type(S.urlEdit, site);
      kit.mark(`${site}-enter`);
      await kit.enter();
      await kit.until(async () => !(await kit.exists(S.progress)) && ((await kit.exists(S.page)) || (await kit.exists(S.error))), 30, `${site} did not finish loading`, 50);
      if (await kit.exists(S.error)) {
        kit.measureSeconds('page-load', null, { item: site });
        continue;
      }
      kit.mark(`${site}-loaded`);
      kit.measureSeconds('page-load', kit.between(`${site}-enter`, `${site}-loaded`), { item: site });
    }
  },
});
