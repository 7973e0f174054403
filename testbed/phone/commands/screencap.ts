import { renderScreen } from '../uiautomator2/screenshot.js';
import { takeSnapshot } from '../uiautomator2/snapshot.js';
import { usageError, type Command } from './context.js';

/** screencap [-p] [FILE]: the screen as a PNG (the same picture as the UiAutomator2 server's screenshot). */
export const screencap: Command = async (context) => {
  const args = context.argv.slice(1);
  const file = args.find((a) => !a.startsWith('-'));
  const unknown = args.find((a) => a.startsWith('-') && a !== '-p' && a !== '-d');
  if (unknown) return usageError(context, `usage: screencap [-hp] [-d display-id] [FILENAME]\n   -h: this message\n   -p: save the file as a png.\nIf FILENAME ends with .png it will be saved as a png.\nIf FILENAME is not given, the results will be printed to stdout.\n`);
  const png = renderScreen(takeSnapshot(context.system.screenHierarchy()), context.system.screenOn);
  if (!file) {
    context.stdout(png);
    return 0;
  }
  const error = await context.writeFile(file, png);
  if (error) return usageError(context, `Error opening file: ${file} (${error})`);
  return 0;
};
