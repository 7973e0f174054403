import { SCREEN, parseKeycode } from '../apps.js';
import { usageError, type Command, type CommandContext } from './context.js';

const SOURCES = new Set(['keyboard', 'mouse', 'joystick', 'touchnavigation', 'touchpad', 'trackball', 'dpad', 'stylus', 'gamepad', 'touchscreen', 'rotaryencoder']);

const INPUT_USAGE = `Usage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]

The commands and default sources are:
      text <string> (Default: keyboard)
      keyevent [--longpress|--doubletap] <key code number or name> ... (Default: keyboard)
      tap <x> <y> (Default: touchscreen)
      swipe <x1> <y1> <x2> <y2> [duration(ms)] (Default: touchscreen)
      press (Default: trackball)
`;

function coordinate(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?\d+(\.\d+)?$/.test(value)) return undefined;
  return Math.round(Number(value));
}

/** input [SOURCE] [-d DISPLAY] tap|swipe|text|keyevent|press ... */
export const input: Command = (context) => {
  let args = context.argv.slice(1);
  if (args[0] && SOURCES.has(args[0])) args = args.slice(1);
  if (args[0] === '-d') args = args.slice(2);
  const [verb, ...rest] = args;
  const system = context.system;
  switch (verb) {
    case 'tap': {
      const [x, y] = rest.map(coordinate);
      if (x === undefined || y === undefined || rest.length !== 2) return usageError(context, `Error: Invalid arguments for command: tap\n${INPUT_USAGE}`);
      system.tap(x, y);
      return 0;
    }
    case 'swipe':
    case 'draganddrop': {
      const [x1, y1, x2, y2, duration] = rest.map(coordinate);
      if ([x1, y1, x2, y2].some((v) => v === undefined) || rest.length < 4 || rest.length > 5) return usageError(context, `Error: Invalid arguments for command: ${verb}\n${INPUT_USAGE}`);
      system.swipe(x1!, y1!, x2!, y2!, duration ?? 300);
      return 0;
    }
    case 'text': {
      if (rest.length === 0) return usageError(context, `Error: Invalid arguments for command: text\n${INPUT_USAGE}`);
      // input text takes one argument; %s stands for a space.
      system.text(rest.join(' ').replace(/%s/g, ' '));
      return 0;
    }
    case 'keyevent': {
      const codes = rest.filter((a) => a !== '--longpress' && a !== '--doubletap' && a !== '--delay');
      if (codes.length === 0) return usageError(context, `Error: Invalid arguments for command: keyevent\n${INPUT_USAGE}`);
      const parsed = codes.map(parseKeycode);
      const bad = codes.find((_, i) => parsed[i] === undefined);
      if (bad !== undefined) return usageError(context, `Error: Unknown keycode: ${bad}`);
      for (const code of parsed) system.key(code!);
      return 0;
    }
    case 'press':
      system.key(23);
      return 0;
    default:
      return usageError(context, `${verb ? `Error: Unknown command: ${verb}\n` : ''}${INPUT_USAGE}`);
  }
};

/** uiautomator dump [--compressed] [FILE] */
export const uiautomator: Command = async (context) => {
  const args = context.argv.slice(1);
  if (args[0] !== 'dump') {
    context.stderr('Usage: uiautomator <subcommand> [options]\n\nAvailable subcommands:\n\nhelp: displays help message\n\ndump: creates an XML dump of current UI hierarchy\n');
    return 1;
  }
  const file = args.slice(1).find((a) => !a.startsWith('--')) ?? '/sdcard/window_dump.xml';
  if (!context.system.screenOn) {
    context.stderr('ERROR: null root node returned by UiTestAutomationBridge.\n');
    return 1;
  }
  const error = await context.writeFile(file, context.system.windowDump());
  if (error) {
    context.stderr(`ERROR: could not write ${file}: ${error}\n`);
    return 1;
  }
  context.stdout(`UI hierchary dumped to: ${file}\n`);
  return 0;
};

/** wm size|density|dismiss-keyguard */
export const wm: Command = (context: CommandContext) => {
  const [, verb] = context.argv;
  switch (verb) {
    case 'size':
      context.stdout(`Physical size: ${SCREEN.width}x${SCREEN.height}\n`);
      return 0;
    case 'density':
      context.stdout(`Physical density: ${SCREEN.density}\n`);
      return 0;
    case 'dismiss-keyguard':
      context.system.locked = false;
      return 0;
    default:
      return usageError(context, 'Window manager (window) commands:\n  size [reset|WxH|WdpxHdp]\n  density [reset|DENSITY]\n  dismiss-keyguard\n', 255);
  }
};
