/**
 * The capabilities of an Appium session on one phone, the same for real and virtual phones except
 * where a virtual phone cannot do what the driver would do on a real one (see `virtual`).
 */

export interface PhoneCapabilityOptions {
  /** adb serial (`appium:udid`): the driver drives exactly this phone. */
  serial: string;
  /**
   * A virtual phone of the lab. It has the UiAutomator2 server built in and cannot `pm install`
   * APKs, so it gets `appium:skipServerInstallation` (the driver would install its server APKs)
   * and `appium:skipDeviceInitialization` (the driver would install and start the io.appium.settings
   * helper APK). A real phone must not get these on its first session: the driver installs both
   * APKs then, and upgrades them when the driver is upgraded.
   */
  virtual?: boolean;
  /** Start this app (with `appActivity`) when the session starts; otherwise the screen is left as it is. */
  appPackage?: string;
  appActivity?: string;
  /** Seconds without a command before Appium ends the session. Default 300. */
  newCommandTimeout?: number;
  /** More capabilities, `appium:`-prefixed where they are Appium's; they override the above. */
  extra?: Record<string, unknown>;
}

export type Capabilities = Record<string, unknown>;

export function phoneCapabilities(options: PhoneCapabilityOptions): Capabilities {
  const caps: Capabilities = {
    platformName: 'Android',
    'appium:automationName': 'UiAutomator2',
    'appium:udid': options.serial,
    // mplab resets apps itself (force-stop, pm clear) before a scenario; the driver must not.
    'appium:noReset': true,
    'appium:newCommandTimeout': options.newCommandTimeout ?? 300,
    // Long page sources and screenshots of a slow phone must not time out the server's reads.
    'appium:uiautomator2ServerReadTimeout': 120_000,
  };
  if (options.appPackage) {
    caps['appium:appPackage'] = options.appPackage;
    if (options.appActivity) caps['appium:appActivity'] = options.appActivity;
  }
  if (options.virtual) {
    caps['appium:skipServerInstallation'] = true;
    caps['appium:skipDeviceInitialization'] = true;
  }
  return { ...caps, ...options.extra };
}
