import { defineScenario } from './kit/scenario.js';
import { freshFileName, putFreshFile, uploadPicked } from './kit/upload.js';

/** Dropbox: a fresh file of random data (20 MB) uploaded from the phone's Download folder. */
const S = {
  create: { id: 'fab_button' },
  uploadFiles: { id: 'upload_files' },
  uploaded: (mb: number) => ({ id: 'filelist_status', text: `${mb.toFixed(1)} MB, Uploaded just now` }),
};

export const dropbox = defineScenario({
  name: 'dropbox',
  app: { package: 'com.dropbox.android', label: 'Dropbox' },
  description: 'create a fresh file of random data and upload it (20 MB by default)',
  selectorsFrom: 'Dropbox ids (fab_button, filelist_name, filelist_status) and the system picker as the virtual app has them; run here only against the virtual app',
  params: { megabytes: { default: 20, description: 'size of the fresh file' } },
  async prepare(kit) {
    await putFreshFile(kit, freshFileName(kit), kit.param<number>('megabytes'));
  },
  async run(kit) {
    await kit.openFresh();
    await uploadPicked(kit, freshFileName(kit), [S.create, S.uploadFiles], S.uploaded(kit.param<number>('megabytes')), 100);
  },
});
