import { defineApp } from './kit/app.js';
import { formatBytes } from './kit/format.js';
import { percent, uploadScreens, Uploads, type Upload } from './kit/uploads.js';
import { base, SERVERS } from './servers.js';

/**
 * Dropbox: the files of the user's Dropbox, and "Upload files" from the create menu: the system's
 * picker on the Downloads folder, then the picked file's bytes sent to content.dropboxapi.com in
 * one upload, its row showing "Uploading… N%" with a progress bar, then "Uploaded just now".
 * Actions (for faults): start, upload.
 */
const FILES = [
  ['Getting Started.pdf', 249_159], ['Photos', 0], ['Camera Uploads', 0], ['Thesis draft.docx', 1_204_311], ['Budget 2015.xlsx', 48_210],
  ['Holiday.jpg', 2_310_450], ['Slides.pptx', 5_820_112], ['Notes.txt', 3_112], ['Contract.pdf', 410_987], ['Recipes', 0],
  ['Music', 0], ['Backup.zip', 48_120_554], ['Paper-final.pdf', 912_443], ['Invoice-0042.pdf', 88_120], ['Travel plans.docx', 35_600],
] as const;

interface State {
  cloud: Uploads;
}

function status(upload: Upload): string {
  if (upload.state === 'uploading') return `Uploading… ${percent(upload)}%`;
  if (upload.state === 'failed') return 'Upload failed';
  return `${formatBytes(upload.size)}, Uploaded just now`;
}

export function dropbox() {
  return defineApp<State>({
    package: 'com.dropbox.android',
    label: 'Dropbox',
    activity: '.activity.DbxMainActivity',
    actions: ['start', 'upload'],
    home: 'files',
    initial: (app) => ({ cloud: new Uploads(app) }),
    onStart: (app) => app.job({ kind: 'get', url: `${base(SERVERS.dropboxApi)}/bytes/16000` }, () => undefined),
    screens: {
      files: (screen, app) => {
        screen.toolbar('Dropbox', { actions: [{ id: 'search_button', desc: 'Search', onTap: () => undefined }] });
        const uploads = app.state.cloud.uploads;
        const rows: Array<{ name: string; details: string; upload?: Upload }> = [
          ...uploads.map((u) => ({ name: u.name, details: status(u), upload: u })),
          ...FILES.map(([name, size]) => ({ name, details: size ? `${formatBytes(size)}, modified 3 days ago` : 'Folder' })),
        ];
        screen.list('filelist', rows, {
          scroll: app.scroll('files'),
          rowId: 'filelist_item',
          rowDesc: (r) => `${r.name}, ${r.details}`,
          render: (r, row) => {
            row.icon('filelist_icon', r.details === 'Folder' ? 'Folder' : 'File').title('filelist_name', r.name).subtitle('filelist_status', r.details);
            if (r.upload?.state === 'uploading') row.progress('upload_progress', r.upload.size ? r.upload.sent / r.upload.size : null);
          },
        });
        screen.fab('fab_button', 'Create', () => app.navigate('create'));
      },
      ...uploadScreens<State>(
        'Create',
        [
          { id: 'upload_files', text: 'Upload files', upload: true },
          { id: 'create_folder', text: 'Create folder' },
          { id: 'take_photo', text: 'Take photo' },
        ],
        `${base(SERVERS.dropboxContent)}/upload`,
      ),
    },
  });
}
