/**
 * The phone's system properties: one consistent Android 14 (SDK 34) build. Rooted phones are
 * userdebug builds (ro.debuggable=1: `adb root` works, su is installed); others are user builds.
 */

export interface BuildIdentity {
  /** ro.product.name (adb devices -l: product). */
  product: string;
  /** ro.product.model (adb devices -l: model). */
  model: string;
  /** ro.product.device (adb devices -l: device). */
  device: string;
  /** ro.serialno. */
  serialno: string;
  rooted: boolean;
}

export const ANDROID_RELEASE = '14';
export const ANDROID_SDK = 34;
const BUILD_ID = 'UQ1A.240205.004';
const INCREMENTAL = '11269751';

export function buildProperties(identity: BuildIdentity): Record<string, string> {
  const type = identity.rooted ? 'userdebug' : 'user';
  const tags = identity.rooted ? 'test-keys' : 'release-keys';
  const fingerprint = `mplab/${identity.product}/${identity.device}:${ANDROID_RELEASE}/${BUILD_ID}/${INCREMENTAL}:${type}/${tags}`;
  const props: Record<string, string> = {
    'ro.build.version.release': ANDROID_RELEASE,
    'ro.build.version.release_or_codename': ANDROID_RELEASE,
    'ro.build.version.sdk': String(ANDROID_SDK),
    'ro.build.version.codename': 'REL',
    'ro.build.version.incremental': INCREMENTAL,
    'ro.build.version.security_patch': '2024-02-05',
    'ro.build.version.preview_sdk': '0',
    'ro.build.id': BUILD_ID,
    'ro.build.display.id': `${identity.product}-${type} ${ANDROID_RELEASE} ${BUILD_ID} ${INCREMENTAL} ${tags}`,
    'ro.build.type': type,
    'ro.build.tags': tags,
    'ro.build.fingerprint': fingerprint,
    'ro.build.flavor': `${identity.product}-${type}`,
    'ro.build.host': 'mplab',
    'ro.build.user': 'mplab',
    'ro.build.date.utc': '1707091200',
    'ro.build.characteristics': 'default',
    'ro.product.brand': 'mplab',
    'ro.product.manufacturer': 'mplab',
    'ro.product.name': identity.product,
    'ro.product.model': identity.model,
    'ro.product.device': identity.device,
    'ro.product.board': identity.device,
    'ro.product.cpu.abi': 'x86_64',
    'ro.product.cpu.abilist': 'x86_64,arm64-v8a',
    'ro.product.cpu.abilist64': 'x86_64,arm64-v8a',
    'ro.product.cpu.abilist32': '',
    'ro.product.locale': 'en-US',
    'ro.product.first_api_level': String(ANDROID_SDK),
    'ro.system.build.version.sdk': String(ANDROID_SDK),
    'ro.system.build.version.release': ANDROID_RELEASE,
    'ro.system.build.fingerprint': fingerprint,
    'ro.vendor.build.fingerprint': fingerprint,
    'ro.vendor.api_level': String(ANDROID_SDK),
    'ro.hardware': 'mplab',
    'ro.boot.hardware': 'mplab',
    'ro.serialno': identity.serialno,
    'ro.boot.serialno': identity.serialno,
    'ro.debuggable': identity.rooted ? '1' : '0',
    'ro.secure': '1',
    'ro.adb.secure': '1',
    'ro.kernel.qemu': '0',
    'ro.sf.lcd_density': '420',
    'ro.crypto.state': 'encrypted',
    'ro.boot.verifiedbootstate': identity.rooted ? 'orange' : 'green',
    'ro.treble.enabled': 'true',
    'persist.sys.timezone': 'UTC',
    'persist.sys.locale': 'en-US',
    'persist.sys.usb.config': 'adb',
    'sys.usb.config': 'adb',
    'sys.usb.state': 'adb',
    'init.svc.adbd': 'running',
    'wifi.interface': 'wlan0',
    'gsm.sim.state': 'LOADED',
    'gsm.operator.alpha': 'mplab cellular',
    'gsm.operator.numeric': '00101',
    'gsm.sim.operator.alpha': 'mplab cellular',
    'gsm.sim.operator.numeric': '00101',
    'gsm.network.type': 'LTE',
    'gsm.operator.iso-country': 'us',
    'net.bt.name': 'Android',
    'dalvik.vm.heapsize': '512m',
    'ro.zygote': 'zygote64',
  };
  return props;
}

/** `getprop` with no argument: every property as `[name]: [value]`, sorted by name. */
export function formatGetprop(props: Record<string, string>): string {
  return Object.keys(props)
    .sort()
    .map((k) => `[${k}]: [${props[k]}]\n`)
    .join('');
}

/** /system/build.prop: the read-only build properties, `name=value` lines. */
export function formatBuildProp(props: Record<string, string>): string {
  return `# mplab virtual phone\n${Object.keys(props)
    .filter((k) => k.startsWith('ro.'))
    .sort()
    .map((k) => `${k}=${props[k]}\n`)
    .join('')}`;
}
