import { describe, expect, it } from 'vitest';
import { estimateLeftS, formatDuration } from '../../../../framework/campaign/live-view.js';
import { nextRuns, onCalendar, parseCron, systemdUnits } from '../../../../framework/campaign/schedule.js';

describe('campaign schedule', () => {
  it('says when a cron expression starts the campaign next', () => {
    const from = new Date(2025, 2, 1, 12, 0, 0);
    expect(nextRuns('0 1 * * *', 2, from).map((d) => [d.getDate(), d.getHours(), d.getMinutes()])).toEqual([[2, 1, 0], [3, 1, 0]]);
  });

  it('refuses a malformed expression naming the option and what is expected', () => {
    expect(() => parseCron('0 25 * * *')).toThrow(/^--cron "0 25 \* \* \*": .*expected five fields/);
  });

  it('turns simple cron expressions into systemd calendar events, and refuses what OnCalendar cannot say', () => {
    expect(onCalendar('0 1 * * *')).toBe('*-*-* 01:00:00');
    expect(onCalendar('30 2 * * 1-5')).toBe('Mon..Fri *-*-* 02:30:00');
    expect(onCalendar('*/15 0,12 1 * 0')).toBe('Sun *-*-01 00,12:00/15:00');
    expect(onCalendar('0 1 L * *')).toBeNull();
  });

  it('writes a oneshot service running the campaign and a persistent timer', () => {
    const u = systemdUnits({ file: '/srv/my campaigns/n.yaml', cron: '0 1 * * *', name: 'nightly', workDir: '/srv', mplab: '/opt/mplab/bin/mplab.js', logFile: '/var/log/mplab.log' });
    expect(u.name).toBe('mplab-campaign-nightly');
    expect(u.service).toContain('Type=oneshot');
    expect(u.service).toMatch(/ExecStart=\S+ \/opt\/mplab\/bin\/mplab.js campaign run "\/srv\/my campaigns\/n.yaml"\n/);
    expect(u.timer).toContain('OnCalendar=*-*-* 01:00:00\nPersistent=true\nUnit=mplab-campaign-nightly.service');
  });
});

describe('live view', () => {
  it('estimates the time left from the finished tests, over the phones still in', () => {
    expect(estimateLeftS([], 10, 2)).toBeNull();
    expect(estimateLeftS([30, 50], 10, 2)).toBe(200);
    expect(formatDuration(200)).toBe('3 min');
    expect(formatDuration(4000)).toBe('1 h 7 min');
    expect(formatDuration(42)).toBe('42 s');
  });
});
