import type { App, ScreenBuilder } from './app.js';
import { formatBytes } from './format.js';
import type { Screen } from './screen.js';

/**
 * Cloud storage's upload (Dropbox, Drive): a file picker that lists a folder of the phone (the
 * app's process reads it, as the app's user), and uploads of the picked file's real bytes with
 * their progress, as the app's file list shows them.
 */
export interface PickedFile {
  name: string;
  size: number;
  mtime: number;
}

export interface Upload {
  name: string;
  size: number;
  sent: number;
  state: 'uploading' | 'done' | 'failed';
  startedAt: number;
  doneAt?: number;
  error?: string;
}

/** Where `adb push` puts a scenario's file, and where a picker opens. */
export const DOWNLOADS = '/sdcard/Download';

export class Uploads {
  /** The picker's folder listing; null while it loads. */
  files: PickedFile[] | null = null;
  listError: string | undefined;
  readonly uploads: Upload[] = [];

  constructor(private readonly app: Pick<App<unknown>, 'job' | 'log'>) {}

  browse(dir = DOWNLOADS): void {
    this.files = null;
    this.listError = undefined;
    this.app.job({ kind: 'list', dir }, (event) => {
      if (event.type === 'files') this.files = event.files;
      else if (event.type === 'error') {
        this.files = [];
        this.listError = event.message;
      }
    });
  }

  upload(file: PickedFile, url: string, dir = DOWNLOADS): Upload {
    const upload: Upload = { name: file.name, size: file.size, sent: 0, state: 'uploading', startedAt: Date.now() };
    this.uploads.unshift(upload);
    this.app.job({ kind: 'upload', url, file: `${dir}/${file.name}` }, (event) => {
      if (event.type === 'progress') upload.sent = event.bytes;
      else if (event.type === 'done') {
        upload.sent = event.bytes;
        upload.state = 'done';
        upload.doneAt = Date.now();
        this.app.log('I', 'UploadTask', `uploaded ${file.name}: ${event.bytes} bytes in ${event.ms} ms`);
      } else if (event.type === 'error') {
        upload.state = 'failed';
        upload.error = event.message;
        this.app.log('W', 'UploadTask', `${file.name}: ${event.message}`);
      }
    });
    return upload;
  }
}

export function percent(upload: Upload): number {
  return upload.size ? Math.floor((100 * upload.sent) / upload.size) : 100;
}

const PICKER = 'com.android.documentsui';

/**
 * The system's file picker (DocumentsUI, a window over the app, with its ids), open on the
 * Downloads folder: its files, newest first.
 */
export function pickerScreen<S>(screen: Screen, app: App<S>, uploads: Uploads, options: { onPick: (file: PickedFile) => void }): void {
  screen.window(PICKER);
  screen.toolbar('Downloads', { id: `${PICKER}:id/toolbar`, up: () => app.back(), upDesc: 'Show roots' });
  if (uploads.files === null) {
    screen.progress(`${PICKER}:id/progressbar`, null, 'Loading');
    return;
  }
  if (uploads.files.length === 0) {
    screen.text(`${PICKER}:id/message`, uploads.listError ? `Can't open Downloads: ${uploads.listError}` : 'No items');
    return;
  }
  screen.list(`${PICKER}:id/dir_list`, uploads.files, {
    scroll: app.scroll('dir_list'),
    rowId: `${PICKER}:id/item_root`,
    rowDesc: (f) => f.name,
    render: (f, row) => row.icon(`${PICKER}:id/icon_mime`, 'File').title('android:id/title', f.name).subtitle(`${PICKER}:id/details`, `${formatBytes(f.size)}, ${new Date(f.mtime).toISOString().slice(0, 10)}`),
    onTap: (f) => options.onPick(f),
  });
}

/**
 * The two screens of a cloud app's upload: its create menu (`title`, buttons in order, the one
 * with `upload: true` opens the picker on Downloads), and the picker, whose pick uploads the file
 * to `url` (the "upload" action) and goes back to the file list.
 */
export function uploadScreens<S extends { cloud: Uploads }>(title: string, buttons: Array<{ id: string; text: string; upload?: boolean }>, url: string): { create: ScreenBuilder<S>; picker: ScreenBuilder<S> } {
  return {
    create: (screen, app) => {
      screen.toolbar(title, { up: () => app.back() });
      for (const b of buttons) {
        screen.button(b.id, b.text, () => {
          if (!b.upload) return;
          app.state.cloud.browse();
          app.navigate('picker');
        });
      }
    },
    picker: (screen, app) =>
      pickerScreen(screen, app, app.state.cloud, {
        onPick: (file) =>
          app.action('upload', () => {
            app.state.cloud.upload(file, url);
            app.home();
          }),
      }),
  };
}
