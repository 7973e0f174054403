import { defineScenario } from './kit/scenario.js';
import { freshFileName, putFreshFile, uploadPicked } from './kit/upload.js';

/** Google Drive: a fresh file of random data (20 MB) uploaded from the phone's Download folder. */
const S = {
  create: { id: 'extended_fab' },
  upload: { id: 'upload' },
  done: { id: 'upload_status', text: '1 upload complete' },
};

export const drive = defineScenario({
  name: 'drive',
  app: { package: 'com.google.android.apps.docs', label: 'Google Drive' },
  description: 'create a fresh file of random data and upload it (20 MB by default)',
  selectorsFrom: 'Drive ids (extended_fab, doclist_recycler_view, upload_status) and the system picker as the virtual app has them; run here only against the virtual app',
  params: { megabytes: { default: 20, description: 'size of the fresh file' } },
  async prepare(kit) {
    await putFreshFile(kit, freshFileName(kit), kit.param<number>('megabytes'));
  },
  async run(kit) {
    await kit.openFresh();
    await uploadPicked(kit, freshFileName(kit), [S.create, S.upload], S.done, 100);
  },
});
