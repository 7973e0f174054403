import { describe, expect, it } from 'vitest';
import { CampaignFileError, parseCampaignText } from '../../../../framework/campaign/campaign-file.js';
import { campaignPhones } from '../../../../framework/campaign/campaign.js';
import { validateDevicesFile, type DevicesFile } from '../../../../framework/config/devices-file.js';

const FILE = '/tmp/nightly.yaml';

function problems(text: string): string[] {
  try {
    parseCampaignText(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(CampaignFileError);
    expect((err as Error).message.startsWith(`${FILE}: `)).toBe(true);
    return (err as CampaignFileError).problems;
  }
  throw new Error('expected the file to be refused');
}

describe('campaign file', () => {
  it('reads YAML with every field and fills the defaults', () => {
    const spec = parseCampaignText(
      `name: nightly
phones: [phone1, phone2]
scenarios: [settings, { name: whatsapp, params: { photos: 2 } }]
modes: [tcp, mptcp]
networks:
  - { name: both }
  - { name: cut, changes: ["10:wifi-down", "20:wifi-up"] }
  - { name: slow3g, profile: 3g, cellularType: 3g, link: { wifi: { down: { lossPct: 2 } } } }
  - { name: cell, net: cellular }
repetitions: 2
results: out
`,
      FILE,
    );
    expect(spec.phones).toEqual(['phone1', 'phone2']);
    expect(spec.assign).toBe('every');
    expect(spec.scenarios).toEqual([{ name: 'settings', params: {} }, { name: 'whatsapp', params: { photos: 2 } }]);
    expect(spec.networks[1].changes).toEqual([{ at: 10, change: 'wifi-down' }, { at: 20, change: 'wifi-up' }]);
    expect(spec.networks[2].profile).toMatch(/testbed\/profiles\/3g\.json$/);
    expect(spec.networks[2].link).toEqual({ wifi: { down: { lossPct: 2 } } });
    expect(spec.networks[3]).toMatchObject({ net: 'cellular', defaultRoute: 'cellular' });
    expect(spec).toMatchObject({ capSeconds: 120, retries: 2, scenarioRetries: 0, unhealthyAfter: 3, repetitions: 2, results: '/tmp/out', seed: null });
  });

  it('reads JSON the same way, with one network by default', () => {
    const spec = parseCampaignText('{"name": "n", "phones": "phone1", "scenarios": ["settings"]}', FILE);
    expect(spec.networks).toEqual([{ name: 'both', net: 'both', defaultRoute: 'wifi', profile: null, link: null, cellularType: null, changes: [] }]);
    expect(spec.modes).toEqual(['mptcp']);
  });

  it('names every problem with its field and what was expected', () => {
    const list = problems(`name: "bad name"
phones: []
scenarios: [settings, settings]
modes: [mptcp, quantum]
networks:
  - { name: a, changes: ["soon:wifi-down"], cellularType: 6g }
  - { name: a, profile: nowhere, net: wifi, defaultRoute: cellular }
repetitions: 0
colour: blue
`);
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^name: expected a name of letters/),
        'phones: expected at least one entry, got an empty list',
        expect.stringMatching(/^scenarios\[1\]: the same scenario/),
        expect.stringMatching(/^modes\[1\]: expected one of "tcp", .* got "quantum"/),
        expect.stringMatching(/^networks\[0\]\.changes\[0\]: expected SECONDS:CHANGE/),
        expect.stringMatching(/^networks\[0\]\.cellularType: expected one of "3g", "4g", "5g", "auto"/),
        expect.stringMatching(/^networks\[1\]\.profile: expected a lab profile/),
        expect.stringMatching(/^networks\[1\]\.defaultRoute: expected "wifi" or nothing/),
        expect.stringMatching(/^networks\[1\]\.name: expected a name of its own/),
        expect.stringMatching(/^repetitions: expected an integer from 1/),
        expect.stringMatching(/^colour: unknown field/),
      ]),
    );
  });

  it('gives the line and column of a YAML syntax error', () => {
    expect(problems('name: x\nphones: [phone1\n')[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('refuses a link setting the link emulator would refuse', () => {
    expect(problems('name: x\nphones: p\nscenarios: s\nnetworks: [{ name: n, link: { wifi: { up: { lossPct: 200 } } } }]\n')).toEqual([expect.stringMatching(/^networks\[0\]\.link\.wifi\.up: .*percent/)]);
  });
});

describe("a campaign's scenarios and phones", () => {
  const devices = (): DevicesFile => {
    const valid = validateDevicesFile({ devices: [{ id: '127.0.0.1:6601', label: 'phone1', root: true, kernel: 'upstream' }] });
    expect(valid.problems).toEqual([]);
    return { path: '/etc/mplab/devices.json', devices: valid.devices, hosts: valid.hosts, grid: valid.grid };
  };

  it('refuses an unknown scenario, a parameter its scenario does not take and an unknown phone all at once, each with its field', () => {
    const spec = parseCampaignText('name: x\nphones: [phone1, phone9]\nscenarios: [youtub, { name: settings, params: { hold: 1, colour: red } }]\n', '/tmp/x.yaml');
    let error: unknown;
    try {
      campaignPhones(spec, devices());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CampaignFileError);
    expect((error as CampaignFileError).problems).toEqual([
      expect.stringMatching(/^scenarios\[0\]: no scenario "youtub"; there are: .*youtube/),
      'scenarios[1].params.colour: scenario settings takes hold',
      expect.stringMatching(/^phones\[1\]: \/etc\/mplab\/devices\.json: no phone with id or label "phone9"; known: 127\.0\.0\.1:6601 \(phone1\)$/),
    ]);
    expect((error as Error).message).toMatch(/^\/tmp\/x\.yaml: 3 problems:\n/);
  });

  it("gives each known phone with what devices.json says of it", () => {
    const phones = campaignPhones(parseCampaignText('name: x\nphones: [phone1]\nscenarios: [settings]\n', '/tmp/x.yaml'), devices());
    expect(phones.map((p) => [p.device.id, p.device.label])).toEqual([['127.0.0.1:6601', 'phone1']]);
  });
});
