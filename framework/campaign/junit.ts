import type { AttemptRow, CampaignRow, TestRow } from './store/store.js';

/**
 * The campaign as a JUnit XML file (the Ant/Jenkins schema that CI systems read): one
 * <testsuite> per phone, one <testcase> per test with its matrix values as <properties>; a failed
 * test carries <failure>, an infrastructure error <error>, a test not run <skipped>, each with the
 * reason and every attempt in the text.
 */
export function xmlEscape(text: string): string {
  // characters XML 1.0 does not allow at all are dropped
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const attr = (name: string, value: string | number): string => ` ${name}="${xmlEscape(String(value))}"`;

export interface JunitTest {
  test: TestRow;
  attempts: AttemptRow[];
}

function testName(t: TestRow): string {
  const params = Object.entries(t.params);
  return `${t.scenario}${params.length ? `(${params.map(([k, v]) => `${k}=${String(v)}`).join(',')})` : ''} ${t.mode} ${t.network} #${t.repetition}`;
}

function attemptsText(attempts: AttemptRow[]): string {
  return attempts
    .map((a) => `attempt ${a.number} on ${a.phone}: ${a.state}${a.kind ? ` (${a.kind})` : ''}${a.failedStep ? ` at step ${a.failedStep}` : ''}${a.reason ? `: ${a.reason}` : ''}; folder ${a.dir}${a.recovery.length ? `; recovery: ${a.recovery.join('; ')}` : ''}`)
    .join('\n');
}

function testcase(campaign: CampaignRow, { test, attempts }: JunitTest): string {
  const props: [string, string | number][] = [
    ['key', test.key],
    ['position', test.position],
    ['scenario', test.scenario],
    ['mode', test.mode],
    ['network', test.network],
    ['repetition', test.repetition],
    ['phone', test.ranOn ?? test.phone ?? ''],
    ['attempts', test.attempts],
    ['state', test.state],
    ['dir', test.dir ?? ''],
    ...Object.entries(test.params).map(([k, v]): [string, string] => [`param.${k}`, String(v)]),
  ];
  const head = `    <testcase${attr('classname', `${campaign.name}.${test.scenario}`)}${attr('name', testName(test))}${attr('time', (test.seconds ?? 0).toFixed(3))}>`;
  const properties = `      <properties>\n${props.map(([k, v]) => `        <property${attr('name', k)}${attr('value', v)}/>`).join('\n')}\n      </properties>`;
  const text = xmlEscape(attemptsText(attempts));
  const reason = test.reason ?? '';
  let outcome = '';
  if (test.state === 'failed') outcome = `      <failure${attr('message', reason)}${attr('type', 'scenario')}>${text}</failure>\n`;
  else if (test.state === 'error') outcome = `      <error${attr('message', reason)}${attr('type', 'infrastructure')}>${text}</error>\n`;
  else if (test.state === 'skipped' || test.state === 'pending' || test.state === 'running') outcome = `      <skipped${attr('message', test.state === 'skipped' ? reason : `not run (${test.state})`)}/>\n`;
  const out = attempts.length > 1 || (test.state === 'passed' && attempts.length === 1 && attempts[0].recovery.length) ? `      <system-out>${text}</system-out>\n` : '';
  return `${head}\n${properties}\n${outcome}${out}    </testcase>`;
}

export function junitXml(campaign: CampaignRow, tests: JunitTest[]): string {
  const byPhone = new Map<string, JunitTest[]>();
  for (const t of tests) {
    const phone = t.test.ranOn ?? t.test.phone ?? 'unassigned';
    byPhone.set(phone, [...(byPhone.get(phone) ?? []), t]);
  }
  const count = (list: JunitTest[], ...states: string[]) => list.filter((t) => states.includes(t.test.state)).length;
  const time = (list: JunitTest[]) => list.reduce((s, t) => s + (t.test.seconds ?? 0), 0).toFixed(3);
  const suites = [...byPhone.entries()].map(([phone, list], i) => {
    const head = `  <testsuite${attr('name', `${campaign.name}.${phone}`)}${attr('id', i)}${attr('package', campaign.name)}${attr('hostname', phone)}${attr('tests', list.length)}${attr('failures', count(list, 'failed'))}${attr('errors', count(list, 'error'))}${attr('skipped', count(list, 'skipped', 'pending', 'running'))}${attr('time', time(list))}${attr('timestamp', new Date((campaign.started ?? campaign.created) * 1000).toISOString().replace(/\.\d+Z$/, ''))}>`;
    const props = `    <properties>\n${[['campaign', campaign.id], ['day', campaign.day], ['seed', campaign.seed]].map(([k, v]) => `      <property${attr('name', k)}${attr('value', v)}/>`).join('\n')}\n    </properties>`;
    return `${head}\n${props}\n${list.map((t) => testcase(campaign, t)).join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${attr('name', campaign.name)}${attr('tests', tests.length)}${attr('failures', count(tests, 'failed'))}${attr('errors', count(tests, 'error'))}${attr('skipped', count(tests, 'skipped', 'pending', 'running'))}${attr('time', time(tests))}>\n${suites.join('\n')}\n</testsuites>\n`;
}
