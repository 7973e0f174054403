import { createHash } from 'node:crypto';
import { SCREEN, shortComponent } from '../apps.js';
import type { PhoneSystem } from '../system.js';
import type { BatteryState } from '../state.js';
import { usageError, type Command, type CommandContext } from './context.js';

/**
 * dumpsys: the services and fields a controller reads (Android 14's layout, reduced to what
 * this phone knows), plus `dumpsys battery set|unplug|reset`.
 */

const SERVICES = ['activity', 'battery', 'connectivity', 'package', 'power', 'telephony.registry', 'wifi', 'window'];

export const dumpsys: Command = async (context) => {
  const [, service, ...args] = context.argv;
  if (service === undefined || service === '-l') {
    context.stdout(`Currently running services:\n${SERVICES.map((s) => `  ${s}\n`).join('')}`);
    return 0;
  }
  return runDumpsys(context, service, args);
};

export async function runDumpsys(context: CommandContext, service: string, args: readonly string[]): Promise<number> {
  const system = context.system;
  switch (service) {
    case 'battery':
      return battery(context, args);
    case 'power':
      context.stdout(power(system));
      return 0;
    case 'window':
      context.stdout(windowDump(system, args[0]));
      return 0;
    case 'activity':
      context.stdout(args[0] === 'processes' || args[0] === 'p' ? processesDump(system) : activityDump(system));
      return 0;
    case 'wifi':
      context.stdout(await wifiDump(system));
      return 0;
    case 'connectivity':
      context.stdout(await connectivityDump(system));
      return 0;
    case 'telephony.registry':
      context.stdout(telephonyDump(system));
      return 0;
    case 'package':
      return packageDump(context, args[0]);
    default:
      context.stderr(`Can't find service: ${service}\n`);
      return 0;
  }
}

const STATUS = { unknown: 1, charging: 2, discharging: 3, notCharging: 4, full: 5 };

function batteryStatus(b: BatteryState): number {
  if (b.plugged === 'none') return STATUS.discharging;
  return b.level >= 100 ? STATUS.full : STATUS.charging;
}

async function battery(context: CommandContext, args: readonly string[]): Promise<number> {
  const system = context.system;
  const [verb, key, value] = args;
  if (verb === 'set') {
    const n = Number(value);
    if (!key || value === undefined || !Number.isFinite(n)) return usageError(context, 'Bad value: set requires a key and a numeric value');
    switch (key) {
      case 'level':
        await system.setBattery({ level: Math.max(0, Math.min(100, Math.round(n))), overridden: true });
        return 0;
      case 'temp':
        await system.setBattery({ temperature: Math.round(n), overridden: true });
        return 0;
      case 'ac':
      case 'usb':
      case 'wireless':
        await system.setBattery({ plugged: n ? key : 'none', overridden: true });
        return 0;
      default:
        return usageError(context, `Unknown set option: ${key}`);
    }
  }
  if (verb === 'unplug') {
    await system.setBattery({ plugged: 'none', overridden: true });
    return 0;
  }
  if (verb === 'reset') {
    await system.setBattery({ plugged: 'usb', overridden: false });
    return 0;
  }
  const b = system.state.battery;
  context.stdout(
    [
      b.overridden ? 'Current Battery Service state:\n  (UPDATES STOPPED -- use \'reset\' to restart)' : 'Current Battery Service state:',
      `  AC powered: ${b.plugged === 'ac'}`,
      `  USB powered: ${b.plugged === 'usb'}`,
      `  Wireless powered: ${b.plugged === 'wireless'}`,
      '  Dock powered: false',
      '  Max charging current: 500000',
      '  Max charging voltage: 5000000',
      '  Charge counter: 3400000',
      `  status: ${batteryStatus(b)}`,
      '  health: 2',
      '  present: true',
      `  level: ${b.level}`,
      '  scale: 100',
      '  voltage: 4180',
      `  temperature: ${b.temperature}`,
      '  technology: Li-ion',
      '',
    ].join('\n'),
  );
  return 0;
}

function power(system: PhoneSystem): string {
  const b = system.state.battery;
  const plugType = { none: 0, ac: 1, usb: 2, wireless: 4 }[b.plugged];
  const stayOn = Number(system.state.settings.global.stay_on_while_plugged_in ?? '0');
  return [
    'POWER MANAGER (dumpsys power)',
    '',
    'Power Manager State:',
    '  Settings power_manager_constants:',
    '  mDirty=0x0',
    `  mWakefulness=${system.screenOn ? 'Awake' : 'Asleep'}`,
    '  mWakefulnessChanging=false',
    `  mIsPowered=${b.plugged !== 'none'}`,
    `  mPlugType=${plugType}`,
    `  mBatteryLevel=${b.level}`,
    `  mStayOn=${stayOn !== 0 && b.plugged !== 'none'}`,
    `  mProximityPositive=false`,
    `  mBootCompleted=${system.bootCompleted}`,
    '  mSystemReady=true',
    `  mHoldingWakeLockSuspendBlocker=${system.screenOn}`,
    `  mHoldingDisplaySuspendBlocker=${system.screenOn}`,
    `  mDisplayReady=true`,
    `  mScreenOffTimeoutSetting=${system.state.settings.system.screen_off_timeout ?? '600000'}`,
    `  mStayOnWhilePluggedInSetting=${stayOn}`,
    '',
    `Display Power: state=${system.screenOn ? 'ON' : 'OFF'}`,
    '',
  ].join('\n');
}

function windowToken(text: string): string {
  return createHash('md5').update(text).digest('hex').slice(0, 7);
}

function windowDump(system: PhoneSystem, section: string | undefined): string {
  const top = system.foreground();
  const component = shortComponent(top);
  const token = windowToken(component);
  const keyguard = system.locked;
  const policy = [
    'WINDOW MANAGER POLICY STATE (dumpsys window policy)',
    `    mSafeMode=false mSystemReady=true mSystemBooted=${system.bootCompleted}`,
    `    mScreenOnEarly=${system.screenOn} mScreenOnFully=${system.screenOn}`,
    `    mKeyguardDrawComplete=true mWindowManagerDrawComplete=true`,
    `    mDreamingLockscreen=${keyguard && !system.screenOn} mShowingDream=false`,
    `    mShowingLockscreen=${keyguard}`,
    `    isKeyguardShowing=${keyguard}`,
    `    mAwake=${system.screenOn}`,
    '    KeyguardServiceDelegate',
    `      showing=${keyguard}`,
    `      showingAndNotOccluded=${keyguard}`,
    '      inputRestricted=false',
    '      occluded=false',
    '      secure=false',
    `      dreaming=false`,
    `      systemIsReady=true`,
    `      deviceHasKeyguard=${keyguard}`,
    `      enabled=${keyguard}`,
    `      interactiveState=${system.screenOn ? 'INTERACTIVE_STATE_AWAKE' : 'INTERACTIVE_STATE_SLEEP'}`,
    `      screenState=${system.screenOn ? 'SCREEN_STATE_ON' : 'SCREEN_STATE_OFF'}`,
  ];
  const displays = [
    'WINDOW MANAGER DISPLAY CONTENTS (dumpsys window displays)',
    `  Display: mDisplayId=0 rootTasks=1`,
    `    init=${SCREEN.width}x${SCREEN.height} ${SCREEN.density}dpi cur=${SCREEN.width}x${SCREEN.height} app=${SCREEN.width}x${SCREEN.height - 84} rng=${SCREEN.width}x${SCREEN.width}-${SCREEN.height}x${SCREEN.height}`,
    `  mCurrentFocus=Window{${token} u0 ${top.package}/${top.activity}}`,
    `  mFocusedApp=ActivityRecord{${token} u0 ${component} t${top.package.length}}`,
  ];
  const windows = [
    'WINDOW MANAGER WINDOWS (dumpsys window windows)',
    `  Window #0 Window{${token} u0 ${top.package}/${top.activity}}:`,
    `    mDisplayId=0 rootTaskId=1 mSession=Session{${token} 0:u0a10000} mClient=android.os.BinderProxy@${token}`,
    `    mHasSurface=${system.screenOn} isReadyForDisplay()=${system.screenOn}`,
    `  mCurrentFocus=Window{${token} u0 ${top.package}/${top.activity}}`,
    `  mFocusedApp=ActivityRecord{${token} u0 ${component} t${top.package.length}}`,
  ];
  switch (section) {
    case 'policy':
      return `${policy.join('\n')}\n`;
    case 'displays':
      return `${displays.join('\n')}\n`;
    case 'windows':
      return `${windows.join('\n')}\n`;
    default:
      return `${[...policy, '', ...displays, '', ...windows].join('\n')}\n`;
  }
}

function activityDump(system: PhoneSystem): string {
  const top = system.foreground();
  const component = shortComponent(top);
  const token = windowToken(component);
  return [
    'ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)',
    'Display #0 (activities from top to bottom):',
    `  * Task{${token} #${top.package.length} type=standard A=${top.package} U=0 visible=${system.screenOn} mode=fullscreen}`,
    `    * Hist  #0: ActivityRecord{${token} u0 ${component} t${top.package.length}}`,
    '',
    `  ResumedActivity: ActivityRecord{${token} u0 ${component} t${top.package.length}}`,
    `  mResumedActivity: ActivityRecord{${token} u0 ${component} t${top.package.length}}`,
    `  mFocusedApp=ActivityRecord{${token} u0 ${component} t${top.package.length}}`,
    '',
  ].join('\n');
}

/** `dumpsys activity processes`: a ProcessRecord per running app (what the driver's terminateApp reads). */
function processesDump(system: PhoneSystem): string {
  const lines = ['ACTIVITY MANAGER RUNNING PROCESSES (dumpsys activity processes)', '  All known processes:'];
  for (const pkg of system.apps.keys()) {
    const pid = system.isRunning(pkg) ? system.pidOf(pkg) : undefined;
    if (pid === undefined) continue;
    const uid = system.uidOf(pkg) ?? 10000;
    const record = `ProcessRecord{${windowToken(`${pkg}:${pid}`)} ${pid}:${pkg}/${uid >= 10000 ? `u0a${uid - 10000}` : uid}}`;
    lines.push(`  *APP* UID ${uid} ${record}`, `    user #0 uid=${uid} gids={50${uid % 1000}, 9997}`, `    pid=${pid} starting=false`);
  }
  return `${lines.join('\n')}\n`;
}

interface Iface {
  ifname: string;
  up: boolean;
  addresses: string[];
}

async function interfaces(system: PhoneSystem): Promise<Iface[]> {
  const all = await system.network.addresses();
  return all.map((i) => ({
    ifname: i.ifname,
    up: i.flags.includes('UP'),
    addresses: i.addr_info.filter((a) => a.scope !== 'host').map((a) => `${a.local}/${a.prefixlen}`),
  }));
}

async function wifiDump(system: PhoneSystem): Promise<string> {
  const wifi = (await interfaces(system)).find((i) => i.ifname === system.options.interfaces.wifi);
  const connected = system.wifiUp() && Boolean(wifi?.up && wifi.addresses.length);
  const ip = wifi?.addresses.find((a) => !a.includes(':'))?.split('/')[0];
  return [
    `Wi-Fi is ${system.wifiUp() ? 'enabled' : 'disabled'}`,
    `Verbose logging is off`,
    `mWifiState=${system.wifiUp() ? 3 : 1}`,
    `Airplane mode: ${system.state.airplane}`,
    `WifiController:`,
    `  current state: ${system.wifiUp() ? 'EnabledState' : 'DisabledState'}`,
    `mNetworkInfo [type: WIFI[], state: ${connected ? 'CONNECTED/CONNECTED' : 'DISCONNECTED/DISCONNECTED'}, reason: (unspecified), extra: <none>, failover: false, available: ${system.wifiUp()}, roaming: false]`,
    connected
      ? `mWifiInfo SSID: "mplab-wifi", BSSID: 02:00:00:00:01:00, MAC: 02:00:00:00:01:02, IP: /${ip}, Security type: 2, Supplicant state: COMPLETED, Wi-Fi standard: 11ac, RSSI: -50, Link speed: 866Mbps, Frequency: 5180MHz, Net ID: 0`
      : `mWifiInfo SSID: <unknown ssid>, BSSID: <none>, MAC: 02:00:00:00:01:02, IP: null, Supplicant state: DISCONNECTED, RSSI: -127, Link speed: -1Mbps, Frequency: -1MHz, Net ID: -1`,
    '',
  ].join('\n');
}

function networkAgent(id: number, transport: 'WIFI' | 'CELLULAR', iface: Iface, routes: string[], validated: boolean): string {
  const caps = transport === 'WIFI' ? 'NOT_METERED&INTERNET&NOT_RESTRICTED&TRUSTED&NOT_VPN&VALIDATED&NOT_ROAMING&FOREGROUND&NOT_CONGESTED&NOT_SUSPENDED' : 'SUPL&INTERNET&NOT_RESTRICTED&TRUSTED&NOT_VPN&VALIDATED&NOT_ROAMING&FOREGROUND&NOT_CONGESTED&NOT_SUSPENDED';
  const extra = transport === 'WIFI' ? '"mplab-wifi"' : 'internet';
  return `  NetworkAgentInfo{network{${id}}  handle{${id}}  ni{${transport === 'WIFI' ? 'WIFI' : 'MOBILE[LTE]'} CONNECTED extra: ${extra}}  Score(${validated ? 60 : 50})  ${validated ? 'everValidated' : ''} lp{{InterfaceName: ${iface.ifname} LinkAddresses: [ ${iface.addresses.join(',')} ] DnsAddresses: [ ] Domains: null MTU: 1500 Routes: [ ${routes.join(',')} ]}}  nc{[ Transports: ${transport} Capabilities: ${caps} LinkUpBandwidth>=${transport === 'WIFI' ? 100000 : 30000}Kbps LinkDnBandwidth>=${transport === 'WIFI' ? 100000 : 50000}Kbps]}}`;
}

async function connectivityDump(system: PhoneSystem): Promise<string> {
  const ifaces = await interfaces(system);
  const routes = await system.network.mainRoutes('inet');
  const routesOf = (ifname: string) => routes.filter((r) => r.dev === ifname).map((r) => `${r.dst === 'default' ? '0.0.0.0/0' : r.dst} -> ${r.gateway ?? '0.0.0.0'} ${ifname}`);
  const { wifi, cellular } = system.options.interfaces;
  const wifiIface = ifaces.find((i) => i.ifname === wifi);
  const cellIface = ifaces.find((i) => i.ifname === cellular);
  const wifiConnected = system.wifiUp() && Boolean(wifiIface?.up && wifiIface.addresses.length);
  const cellConnected = system.cellularUp() && Boolean(cellIface?.up && cellIface.addresses.length);
  const agents: string[] = [];
  if (wifiConnected && wifiIface) agents.push(networkAgent(100, 'WIFI', wifiIface, routesOf(wifi), true));
  if (cellConnected && cellIface) agents.push(networkAgent(101, 'CELLULAR', cellIface, routesOf(cellular), true));
  const defaultNetwork = wifiConnected ? 100 : cellConnected ? 101 : undefined;
  return [
    'NetworkProviders for:',
    '  WifiNetworkProvider PhoneSwitcherNetworkRequstListener TelephonyNetworkProvider',
    '',
    `Active default network: ${defaultNetwork ?? 'none'}`,
    '',
    'Current network preferences: ',
    `  mobile_data_always_on: ${system.state.settings.global.mobile_data_always_on === '1'}`,
    '',
    'Current Networks:',
    ...agents,
    '',
    `Airplane mode: ${system.state.airplane ? 'on' : 'off'}`,
    `Mobile data: ${system.state.dataEnabled ? 'enabled' : 'disabled'}`,
    '',
  ].join('\n');
}

function telephonyDump(system: PhoneSystem): string {
  const connected = system.cellularUp();
  return [
    'last known state:',
    '  Phone Id=0',
    `  mCallState=0`,
    `  mServiceState={mVoiceRegState=${system.state.airplane ? 3 : 0}(${system.state.airplane ? 'POWER_OFF' : 'IN_SERVICE'}), mDataRegState=${system.state.airplane ? 3 : 0}(${system.state.airplane ? 'POWER_OFF' : 'IN_SERVICE'}), mOperatorAlphaLong=mplab cellular, mOperatorNumeric=00101, getRilDataRadioTechnology=14(LTE)}`,
    `  mDataActivity=0`,
    `  mDataConnectionState=${connected ? 2 : 0}`,
    `  mDataConnectionNetworkType=${connected ? 13 : 0}`,
    `  mUserMobileDataState=${system.state.dataEnabled}`,
    '',
  ].join('\n');
}

function packageDump(context: CommandContext, pkg: string | undefined): number {
  const system = context.system;
  const apps = pkg ? [system.apps.get(pkg)].filter((a) => a !== undefined) : [...system.apps.values()];
  const lines: string[] = ['Packages:'];
  for (const app of apps) {
    lines.push(
      `  Package [${app.package}] (${windowToken(app.package)}):`,
      `    userId=${system.uidOf(app.package)}`,
      `    pkg=Package{${windowToken(app.package)} ${app.package}}`,
      `    versionCode=1 minSdk=24 targetSdk=34`,
      `    versionName=1.0`,
      `    flags=[ ${app.system ? 'SYSTEM ' : ''}HAS_CODE ALLOW_CLEAR_USER_DATA ]`,
      `    User 0: ceDataInode=0 installed=true hidden=false suspended=false stopped=${!system.isRunning(app.package)} notLaunched=false enabled=0`,
    );
  }
  context.stdout(`${lines.join('\n')}\n`);
  return 0;
}
