import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { InterfaceSnapshot } from './network.js';

/**
 * What a phone remembers across daemon restarts and reboots, kept in `<dir>/state.json`: the
 * radios' switches, the settings provider's three tables, persistent properties, the battery,
 * and the saved configuration of every interface that is down because its radio is off.
 */

export type SettingsNamespace = 'global' | 'secure' | 'system';

export interface BatteryState {
  level: number;
  /** Tenths of a degree Celsius, as Android reports it. */
  temperature: number;
  plugged: 'ac' | 'usb' | 'wireless' | 'none';
  /** True when `dumpsys battery set/unplug` overrides the real values (until `reset`). */
  overridden: boolean;
}

export interface PhoneState {
  version: 1;
  wifiEnabled: boolean;
  dataEnabled: boolean;
  airplane: boolean;
  settings: Record<SettingsNamespace, Record<string, string>>;
  persistentProps: Record<string, string>;
  battery: BatteryState;
  /** Configuration of interfaces taken down by a radio switch, to restore when it comes back. */
  savedInterfaces: Record<string, InterfaceSnapshot>;
}

export function defaultState(identity: { name: string; model: string }): PhoneState {
  const androidId = createHash('sha256').update(`mplab:${identity.name}`).digest('hex').slice(0, 16);
  return {
    version: 1,
    wifiEnabled: true,
    dataEnabled: true,
    airplane: false,
    settings: {
      global: {
        airplane_mode_on: '0',
        wifi_on: '1',
        mobile_data: '1',
        mobile_data_always_on: '1',
        adb_enabled: '1',
        development_settings_enabled: '1',
        stay_on_while_plugged_in: '0',
        wifi_sleep_policy: '2',
        wifi_scan_always_enabled: '0',
        data_roaming: '0',
        device_name: identity.model,
        auto_time: '1',
        auto_time_zone: '1',
        package_verifier_enable: '1',
        window_animation_scale: '1.0',
        transition_animation_scale: '1.0',
        animator_duration_scale: '1.0',
        captive_portal_mode: '1',
        private_dns_mode: 'off',
        boot_count: '1',
      },
      secure: {
        android_id: androidId,
        default_input_method: 'com.android.inputmethod.latin/.LatinIME',
        location_mode: '3',
        screensaver_enabled: '0',
        lockscreen_disabled: '1',
        user_setup_complete: '1',
      },
      system: {
        screen_brightness: '102',
        screen_brightness_mode: '0',
        screen_off_timeout: '600000',
        accelerometer_rotation: '1',
        font_scale: '1.0',
        time_12_24: '24',
      },
    },
    persistentProps: {},
    battery: { level: 85, temperature: 250, plugged: 'usb', overridden: false },
    savedInterfaces: {},
  };
}

export class StateStore {
  constructor(private readonly file: string) {}

  static inDir(dir: string): StateStore {
    return new StateStore(path.join(dir, 'state.json'));
  }

  /** The saved state, with defaults for whatever is missing; defaults alone on a new phone. */
  async load(defaults: PhoneState): Promise<PhoneState> {
    let saved: Partial<PhoneState> = {};
    try {
      saved = JSON.parse(await fs.readFile(this.file, 'utf8')) as Partial<PhoneState>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${this.file}: ${(error as Error).message}`);
    }
    return {
      ...defaults,
      ...saved,
      version: 1,
      settings: {
        global: { ...defaults.settings.global, ...saved.settings?.global },
        secure: { ...defaults.settings.secure, ...saved.settings?.secure },
        system: { ...defaults.settings.system, ...saved.settings?.system },
      },
      battery: { ...defaults.battery, ...saved.battery },
      persistentProps: { ...saved.persistentProps },
      savedInterfaces: { ...saved.savedInterfaces },
    };
  }

  /** Written to a temporary file and renamed, so that a kill mid-write leaves the old state. */
  async save(state: PhoneState): Promise<void> {
    const temp = `${this.file}.${process.pid}.tmp`;
    await fs.writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
    await fs.rename(temp, this.file);
  }
}
