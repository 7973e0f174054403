import { describe, expect, it } from 'vitest';
import { knowsService, parseShellService, parseTcpService, shellLaunch } from '../../../../testbed/phone/services.js';

describe('shell service requests', () => {
  it('reads shell arguments as adbd does', () => {
    expect(parseShellService('shell:ls -l')).toEqual({ protocol: 'none', pty: false, term: 'dumb', command: 'ls -l' });
    expect(parseShellService('shell:')).toEqual({ protocol: 'none', pty: true, term: 'dumb', command: '' });
    expect(parseShellService('shell,v2,TERM=xterm,raw:exit 3')).toEqual({ protocol: 'shell', pty: false, term: 'xterm', command: 'exit 3' });
    expect(parseShellService('shell,v2,pty:')).toEqual({ protocol: 'shell', pty: true, term: 'dumb', command: '' });
    expect(parseShellService('shell,v2,future-arg,raw:a:b')).toMatchObject({ protocol: 'shell', pty: false, command: 'a:b' });
    expect(parseShellService('exec:cat /x')).toEqual({ protocol: 'none', pty: false, term: 'dumb', command: 'cat /x' });
    expect(parseShellService('sync:')).toBeUndefined();
  });

  it('runs v2 raw commands through sh -c and the others on a terminal, never pasting the command', () => {
    expect(shellLaunch({ protocol: 'shell', pty: false, term: 'dumb', command: 'echo "$HOME"' })).toEqual({ argv: ['/system/bin/sh', '-c', 'echo "$HOME"'], env: {} });
    const legacy = shellLaunch({ protocol: 'none', pty: false, term: 'dumb', command: "x'; rm -rf /" });
    expect(legacy.argv[0]).toBe('/usr/bin/script');
    expect(legacy.argv.join(' ')).not.toContain('rm -rf');
    expect(legacy.argv.join(' ')).toContain('stty raw -echo');
    expect(legacy.env).toEqual({ MPLAB_ADB_COMMAND: "x'; rm -rf /" });
    const interactive = shellLaunch({ protocol: 'shell', pty: true, term: 'xterm', command: '' });
    expect(interactive.argv).toEqual(['/usr/bin/script', '-q', '-e', '/dev/null']);
  });

  it('knows the services it implements', () => {
    for (const s of ['shell:', 'shell,v2,raw:id', 'exec:id', 'sync:', 'reboot:', 'root:', 'unroot:', 'reconnect', 'remount:', 'tcp:8080']) expect(knowsService(s)).toBe(true);
    for (const s of ['jdwp:1', 'framebuffer:', 'abb:x', 'track-jdwp', 'dev:/dev/null']) expect(knowsService(s)).toBe(false);
  });

  it('forwards tcp:PORT[:HOST] only to a host name or IPv4 address, never to a socat address of its own', () => {
    expect(parseTcpService('tcp:7000')).toEqual({ port: 7000, host: '127.0.0.1' });
    expect(parseTcpService('tcp:80:origin.mplab.test')).toEqual({ port: 80, host: 'origin.mplab.test' });
    expect(parseTcpService('tcp:80:198.19.0.2')).toEqual({ port: 80, host: '198.19.0.2' });
    for (const bad of ['tcp:x', 'tcp:70000', 'tcp:80:127.0.0.1!!EXEC:touch /tmp/x', 'tcp:80:127.0.0.1,sourceport=1', 'tcp:80:a b']) expect(parseTcpService(bad)).toBeUndefined();
  });
});
