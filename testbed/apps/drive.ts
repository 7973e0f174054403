import { defineApp } from './kit/app.js';
import { formatBytes } from './kit/format.js';
import { percent, uploadScreens, Uploads } from './kit/uploads.js';
import { base, SERVERS } from './servers.js';

/**
 * Google Drive: "My Drive", and New > Upload: the system's picker on the Downloads folder, then
 * the picked file's bytes sent to www.googleapis.com in one upload, a banner saying "Uploading
 * 1 file" with its progress, then "1 upload complete" and the file at the list's top.
 * Actions (for faults): start, upload.
 */
const FILES = [
  'Meeting notes', 'Project plan', 'Photos 2015', 'Budget', 'CV.pdf', 'Lecture slides', 'Trip to Rome', 'Lab results.xlsx', 'Reading list', 'Passport scan.pdf',
  'Shared with me', 'Family recipes', 'Tax return 2014.pdf', 'Wedding photos', 'Course material',
];

interface State {
  cloud: Uploads;
}

export function drive() {
  return defineApp<State>({
    package: 'com.google.android.apps.docs',
    label: 'Drive',
    activity: '.app.NewMainProxyActivity',
    actions: ['start', 'upload'],
    home: 'drive',
    initial: (app) => ({ cloud: new Uploads(app) }),
    onStart: (app) => app.job({ kind: 'get', url: `${base(SERVERS.googleApis)}/bytes/22000` }, () => undefined),
    screens: {
      drive: (screen, app) => {
        screen.toolbar('My Drive', { id: 'toolbar', actions: [{ id: 'search_bar_text', desc: 'Search in Drive', onTap: () => undefined }] });
        const [latest] = app.state.cloud.uploads;
        if (latest) {
          const text = latest.state === 'uploading' ? 'Uploading 1 file' : latest.state === 'done' ? '1 upload complete' : '1 upload failed';
          screen.text('upload_status', text, { desc: latest.state === 'uploading' ? `${text}, ${percent(latest)}%` : text });
          if (latest.state === 'uploading') screen.progress('upload_progress', latest.size ? latest.sent / latest.size : null);
        }
        const done = app.state.cloud.uploads.filter((u) => u.state === 'done').map((u) => ({ name: u.name, details: `${formatBytes(u.size)} · Modified just now` }));
        const rows = [...done, ...FILES.map((name, i) => ({ name, details: `Modified ${i + 2} Mar 2015` }))];
        screen.list('doclist_recycler_view', rows, {
          scroll: app.scroll('docs'),
          rowId: 'doclist_entry',
          rowDesc: (r) => `${r.name}, ${r.details}`,
          render: (r, row) => row.icon('doc_icon', 'File').title('entry_label', r.name).subtitle('entry_details', r.details).action('more_actions_button', { desc: `More actions for ${r.name}` }, () => undefined),
        });
        screen.fab('extended_fab', 'New', () => app.navigate('create'));
      },
      ...uploadScreens<State>(
        'Create new',
        [
          { id: 'folder', text: 'Folder' },
          { id: 'upload', text: 'Upload', upload: true },
          { id: 'scan', text: 'Scan' },
        ],
        `${base(SERVERS.googleApis)}/upload`,
      ),
    },
  });
}
