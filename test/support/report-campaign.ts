import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { analyzeFiles } from '../../analysis/analyze.js';
import { DirectoryOutput } from '../../analysis/output.js';
import { downloadBand, writeResult, RESULT_SCHEMA, type Measure, type NetworkChange, type TestResult } from '../../common/test-result.js';
import { validateDevicesFile } from '../../framework/config/devices-file.js';
import { Device } from '../../framework/devices/device.js';
import { applyMptcpMode } from '../../framework/devices/mptcp.js';
import { startCapture } from '../../proxy/capture.js';
import { labDown, labLink, labUp, type LabStatus } from '../../testbed/lab/lab.js';
import { inNetns } from '../../testbed/netns.js';

/**
 * A small campaign on the virtual lab, as `mplab run` will make one (it does not exist yet, so
 * this writes each test's result.json itself, through common/test-result.ts, around real traffic):
 * two "apps" in two modes, each test a capture at the proxy of the app's traffic from the phone,
 * analyzed by the analyzer, in a test folder of its own (result.json + analysis/).
 *   - com.whatsapp: a 4 MB file download (timed, with the WhatsApp study's band) and three short
 *     message-sized fetches; in MPTCP mode, the last repetition loses WiFi during the download
 *     (an outage of the access link), which the analyzer sees as a handover;
 *   - org.mozilla.firefox: a page of 20 objects fetched over separate connections, 6 at a time
 *     (the page-load time).
 * In TCP mode MPTCP is off on the phone (net.mptcp.enabled=0) and the traffic is plain TCP, as an
 * app's fallback would be.
 */
export interface CampaignOptions {
  lab: string;
  dir: string;
  modes: ('tcp' | 'mptcp')[];
  repetitions: number;
  say?: (line: string) => void;
}

const APPS = [
  { package: 'com.whatsapp', label: 'WhatsApp', scenario: 'whatsapp-download' },
  { package: 'org.mozilla.firefox', label: 'Firefox', scenario: 'firefox-pages' },
] as const;

function curl(lab: LabStatus, mptcp: boolean, args: string[]) {
  const phone = lab.phones[0];
  const argv = ['curl', '--silent', '--show-error', '--fail', '--socks5-hostname', lab.proxy.socks, ...args];
  return mptcp ? inNetns(phone.netns, 'mptcpize', ['run', ...argv], { timeout: 120_000 }) : inNetns(phone.netns, argv[0], argv.slice(1), { timeout: 120_000 });
}

export async function runLabCampaign(options: CampaignOptions): Promise<string[]> {
  const say = options.say ?? (() => {});
  const proxyLog = join(options.dir, 'proxy-connections.jsonl');
  mkdirSync(options.dir, { recursive: true });
  const lab = await labUp({ name: options.lab, phones: 1, mode: 'mptcp', defaultRoute: 'wifi', proxyLog, adbPortBase: 0 });
  const folders: string[] = [];
  try {
    const phone = lab.phones[0];
    const { devices } = validateDevicesFile({ devices: [{ id: phone.adb!, label: phone.name, root: true, kernel: 'upstream' }] });
    const device = new Device(devices[0]);
    let n = 0;
    for (const mode of options.modes) {
      await applyMptcpMode(device, mode);
      for (let rep = 1; rep <= options.repetitions; rep++) {
        for (const app of APPS) {
          const id = `${String(++n).padStart(3, '0')}-${app.label.toLowerCase()}-${mode}-${rep}`;
          const folder = join(options.dir, id);
          mkdirSync(folder, { recursive: true });
          const capture = await startCapture({ netns: lab.proxy.netns, iface: 'eth0', file: join(folder, 'proxy.pcap'), filter: 'tcp' });
          const start = Date.now() / 1000;
          const measures: Measure[] = [];
          const changes: NetworkChange[] = [];
          const handover = app.package === 'com.whatsapp' && mode === 'mptcp' && rep === options.repetitions;
          if (app.package === 'com.whatsapp') {
            for (let i = 0; i < 3; i++) await curl(lab, mode === 'mptcp', ['-o', '/dev/null', `http://origin/object/chat/${i}?size=${300 + 200 * i}`]);
            const download = curl(lab, mode === 'mptcp', ['-o', '/dev/null', '-w', '%{time_total}', 'http://origin/bytes/4000000']);
            if (handover) {
              await sleep(300);
              await labLink(options.lab, phone.name, 'wifi', { outage: true });
              changes.push({ at: Date.now() / 1000 - start, change: 'wifi down' });
            }
            const seconds = Number(String((await download).stdout));
            measures.push({ name: 'download-time', item: '4 MB file', value: seconds, unit: 's', band: downloadBand(seconds) });
          } else {
            const t0 = Date.now();
            const urls = Array.from({ length: 20 }, (_, i) => [`http://origin/object/page${rep}/${i}?size=${2000 + 700 * i}`, '-o', '/dev/null']).flat();
            await curl(lab, mode === 'mptcp', ['--parallel', '--parallel-max', '6', '-H', 'Connection: close', ...urls]);
            measures.push({ name: 'page-load', item: 'page of 20 objects', value: (Date.now() - t0) / 1000, unit: 's' });
          }
          await sleep(300); // the last FINs and ACKs
          await capture.stop();
          if (handover) await labLink(options.lab, phone.name, 'wifi', { outage: false });
          const end = Date.now() / 1000;
          const analysisDir = join(folder, 'analysis');
          const summary = analyzeFiles([join(folder, 'proxy.pcap')], new DirectoryOutput(analysisDir), {
            wifi: [`${phone.wifi.ip}/32`],
            cellular: [`${phone.cellular.ip}/32`],
            proxyLog,
            progress: false,
          });
          const result: TestResult = {
            schema: RESULT_SCHEMA,
            id,
            scenario: app.scenario,
            app: { package: app.package, label: app.label },
            phone: { id: phone.adb!, label: phone.name, model: 'Virtual Phone', android: '14', sdk: 34, lab: options.lab },
            mode,
            network: { name: 'both', wifi: true, cellular: true, defaultRoute: 'wifi', profile: 'default', label: null, changes },
            params: {},
            start,
            end,
            seconds: end - start,
            verdict: 'passed',
            reason: null,
            failedStep: null,
            steps: [],
            marks: [],
            measures,
            analysis: {
              dir: 'analysis',
              connections: summary.connections.total,
              mptcpConnections: summary.connections.mptcp,
              subflows: summary.subflows,
              bytes: summary.bytes,
              bytesOnCellular: null,
              handovers: summary.connections.handover,
            },
            files: { captures: ['proxy.pcap'], proxyLog: null, appiumLog: null, log: 'test.log', evidence: [] },
          };
          writeResult(folder, result);
          folders.push(folder);
          say(`${id}: ${summary.connections.total} connections, ${measures.map((m) => `${m.name} ${m.value?.toFixed(2)} s`).join(', ')}`);
        }
      }
    }
    return folders;
  } finally {
    await labDown(options.lab);
  }
}
