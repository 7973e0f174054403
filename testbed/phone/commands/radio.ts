import { maskText, parseBinaryMask } from '../cellular-technology.js';
import type { CommandContext, Command } from './context.js';
import { usageError } from './context.js';

const SVC_USAGE = `Available commands:
    help     Show information about the subcommands
    power    Control the power manager
    data     Control mobile data connectivity
    wifi     Control the Wi-Fi manager
`;

/** Android 11 (API 30) brought `cmd wifi set-wifi-enabled`, `cmd phone data` and `cmd connectivity airplane-mode` (and `cmd -w`). */
export const RADIO_CMD_SDK = 30;

export function sdkLevel(context: CommandContext): number {
  return Number(context.system.buildProperties()['ro.build.version.sdk']);
}

/** What an older Android's shell command answers for a command it does not have. */
function unknownCommand(context: CommandContext, verb: string): number {
  return usageError(context, `Unknown command: ${verb}`, 255);
}

function onOff(word: string | undefined): boolean | undefined {
  if (word === 'enable' || word === 'enabled' || word === 'true' || word === 'on') return true;
  if (word === 'disable' || word === 'disabled' || word === 'false' || word === 'off') return false;
  return undefined;
}

/** svc wifi|data enable|disable, svc power stayon|reboot|shutdown. */
export const svc: Command = async (context) => {
  const [, service, verb, arg] = context.argv;
  switch (service) {
    case 'wifi': {
      const on = onOff(verb);
      if (on === undefined) return usageError(context, 'Control the Wi-Fi manager\n\nusage: svc wifi [enable|disable]\n         Turn Wi-Fi on or off.\n', 0);
      await context.system.setWifi(on);
      return 0;
    }
    case 'data': {
      const on = onOff(verb);
      if (on === undefined) return usageError(context, 'Control mobile data connectivity\n\nusage: svc data [enable|disable]\n         Turn mobile data on or off.\n', 0);
      await context.system.setData(on);
      return 0;
    }
    case 'power':
      if (verb === 'stayon') {
        const value = { true: '7', false: '0', usb: '2', ac: '1', wireless: '4' }[arg ?? ''];
        if (value === undefined) return usageError(context, 'usage: svc power stayon [true|false|usb|ac|wireless]', 0);
        await context.system.putSetting('global', 'stay_on_while_plugged_in', value);
        return 0;
      }
      if (verb === 'reboot' || verb === 'shutdown') {
        context.reboot(verb === 'reboot' ? (arg ?? '') : 'shutdown');
        return 0;
      }
      return usageError(context, 'Control the power manager\n\nusage: svc power stayon [true|false|usb|ac|wireless]\n       svc power reboot [reason]\n       svc power shutdown\n', 0);
    default:
      context.stdout(SVC_USAGE);
      return 0;
  }
};

/** cmd wifi ... */
export async function cmdWifi(context: CommandContext, args: readonly string[]): Promise<number> {
  const [verb, arg] = args;
  if (verb === 'set-wifi-enabled' && sdkLevel(context) < RADIO_CMD_SDK) return unknownCommand(context, verb);
  if (verb === 'set-wifi-enabled') {
    const on = onOff(arg);
    if (on === undefined) return usageError(context, "Invalid argument to 'set-wifi-enabled' - must be 'enabled' or 'disabled'", 255);
    await context.system.setWifi(on);
    return 0;
  }
  if (verb === 'status') {
    context.stdout(await wifiStatus(context));
    return 0;
  }
  context.stdout('Wi-Fi (wifi) commands:\n  help or -h\n    Print this help text.\n  set-wifi-enabled enabled|disabled\n    Enables/disables Wifi on this device.\n  status\n    Current wifi status\n');
  return verb === 'help' || verb === '-h' ? 0 : 255;
}

async function wifiStatus(context: CommandContext): Promise<string> {
  const system = context.system;
  if (!system.wifiUp()) {
    return 'Wifi is disabled\nWifi scanning is only available when wifi is enabled\n==== Primary ClientModeManager instance ====\nWifi is not connected\n';
  }
  const link = await system.link(system.options.interfaces.wifi);
  const ip = link.addresses.find((a) => a.family === 'inet')?.local;
  const lines = ['Wifi is enabled', 'Wifi scanning is only available when wifi is enabled', '==== Primary ClientModeManager instance ===='];
  if (link.up && ip) {
    lines.push('Wifi is connected to "mplab-wifi"');
    lines.push(`WifiInfo: SSID: "mplab-wifi", BSSID: 02:00:00:00:01:00, MAC: 02:00:00:00:01:02, IP: /${ip}, Security type: 2, Supplicant state: COMPLETED, Wi-Fi standard: 11ac, RSSI: -50, Link speed: 866Mbps, Tx Link speed: 866Mbps, Rx Link speed: 866Mbps, Frequency: 5180MHz, Net ID: 0, Metered hint: false, score: 60`);
  } else {
    lines.push('Wifi is not connected');
  }
  return `${lines.join('\n')}\n`;
}

/** The SDK level from which `cmd phone` has set-/get-allowed-network-types-for-users. */
export const ALLOWED_NETWORK_TYPES_SDK = 31;

/** cmd phone data enable|disable; cmd phone set-/get-allowed-network-types-for-users [-s SLOT] [BITMASK] */
export async function cmdPhone(context: CommandContext, args: readonly string[]): Promise<number> {
  const [group, verb] = args;
  if (group === 'data' && sdkLevel(context) < RADIO_CMD_SDK) return unknownCommand(context, group);
  if (group === 'set-allowed-network-types-for-users' || group === 'get-allowed-network-types-for-users') {
    // Android 12 (SDK 31) added these; before, the preferred network mode is a setting
    if (sdkLevel(context) < ALLOWED_NETWORK_TYPES_SDK) return unknownCommand(context, group);
    return allowedNetworkTypes(context, group, args.slice(1));
  }
  if (group === 'data') {
    const on = onOff(verb);
    if (on === undefined) return usageError(context, 'Data Test Mode Commands:\n  data enable: Enable mobile data connectivity\n  data disable: Disable mobile data connectivity\n', 255);
    await context.system.setData(on);
    return 0;
  }
  context.stdout('Telephony Commands:\n  help\n    Print this help text.\n  data\n    Data Test Mode Commands.\n');
  return group === 'help' ? 0 : 255;
}

/** cmd connectivity airplane-mode [enable|disable] */
export async function cmdConnectivity(context: CommandContext, args: readonly string[]): Promise<number> {
  const [verb, arg] = args;
  if (verb === 'airplane-mode' && sdkLevel(context) < RADIO_CMD_SDK) return unknownCommand(context, verb);
  if (verb === 'airplane-mode') {
    if (arg === undefined) {
      context.stdout(`${context.system.state.airplane ? 'enabled' : 'disabled'}\n`);
      return 0;
    }
    const on = onOff(arg);
    if (on === undefined) return usageError(context, `Unsupported argument: ${arg}`, 255);
    await context.system.setAirplane(on);
    return 0;
  }
  context.stdout('Connectivity service commands:\n  help\n    Print this help text.\n  airplane-mode [enable|disable]\n    Turn airplane mode on or off.\n  airplane-mode\n    Get airplane mode.\n');
  return verb === 'help' ? 0 : 255;
}

/** As Android's TelephonyShellCommand: shell or root only, slot 0 only (one SIM), the mask as a binary string. */
async function allowedNetworkTypes(context: CommandContext, command: string, args: readonly string[]): Promise<number> {
  const tag = `${command}: `;
  if (context.uid !== 0 && context.uid !== 2000) return usageError(context, `${tag}Shell or root only`, 255);
  let rest = [...args];
  while (rest[0]?.startsWith('-')) {
    if (rest[0] !== '-s') return usageError(context, `${tag}Unknown option ${rest[0]}`, 255);
    if (rest[1] === undefined) return usageError(context, `${tag}SLOT_ID expected after -s.`, 255);
    if (rest[1] !== '0') return usageError(context, `${tag}No valid subscription found.`, 255);
    rest = rest.slice(2);
  }
  if (command === 'get-allowed-network-types-for-users') {
    context.stdout(`${maskText(context.system.allowedNetworkTypes())}\n`);
    return 0;
  }
  const mask = parseBinaryMask(rest[0]);
  if (rest[0] === undefined) return usageError(context, 'set-allowed-network-types-for-users No NETWORK_TYPES_BITMASK', 255);
  if (mask === null) return usageError(context, 'set-allowed-network-types-for-users No valid NETWORK_TYPES_BITMASK', 255);
  const ok = await context.system.setAllowedNetworkTypes(mask);
  context.stdout(`set-allowed-network-types-for-users ${ok ? 'completed' : 'failed'}\n`);
  return 0;
}
