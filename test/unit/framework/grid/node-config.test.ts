import { describe, expect, it } from 'vitest';
import { hubToml, phoneStereotype, relayNodeToml, tomlString } from '../../../../framework/grid/node-config.js';

const hub = { host: '192.0.2.1', port: 4444, publishPort: 4442, subscribePort: 4443 };
const phoneHost = { name: 'bench1', adbServer: '192.0.2.20:5037', appium: 'http://192.0.2.20:4723' };

describe('Selenium Grid configuration', () => {
  it('a relay node forwards to its host\'s Appium server and offers one slot per phone, by appium:udid', () => {
    const toml = relayNodeToml({ host: '192.0.2.20', port: 5555, hub, phoneHost, udids: ['R58M12ABCDE', '192.0.2.30:5555'] });
    expect(toml).toContain('[server]\nhost = "192.0.2.20"\nport = 5555\n');
    expect(toml).toContain('[events]\npublish = "tcp://192.0.2.1:4442"\nsubscribe = "tcp://192.0.2.1:4443"\n');
    expect(toml).toContain('max-sessions = 2\noverride-max-sessions = true\n');
    expect(toml).toContain('[relay]\nurl = "http://192.0.2.20:4723"\nstatus-endpoint = "/status"\nconfigs = [\n');
    // each pair: max sessions, then the stereotype as a JSON string (TOML basic strings escape as JSON does here)
    const pairs = [...toml.matchAll(/^ {2}"1", (".*"),$/gm)].map((m) => JSON.parse(JSON.parse(m[1]) as string) as Record<string, string>);
    expect(pairs).toEqual([phoneStereotype('R58M12ABCDE'), phoneStereotype('192.0.2.30:5555')]);
    expect(pairs[0]).toEqual({ platformName: 'android', 'appium:automationName': 'UiAutomator2', 'appium:udid': 'R58M12ABCDE' });
  });

  it('the hub binds its event bus', () => {
    expect(hubToml(hub)).toBe('# Selenium Grid 4 hub (mplab grid up)\n[server]\nhost = "192.0.2.1"\nport = 4444\n\n[events]\npublish = "tcp://192.0.2.1:4442"\nsubscribe = "tcp://192.0.2.1:4443"\nbind = true\n');
  });

  it('a host without an Appium URL has no node; strings are escaped', () => {
    expect(() => relayNodeToml({ host: 'h', port: 1, hub, phoneHost: { ...phoneHost, appium: null }, udids: ['x'] })).toThrow(/host bench1 has no "appium" URL/);
    expect(tomlString('a"b\\c\nd\u0001')).toBe('"a\\"b\\\\c\\nd\\u0001"');
  });
});
