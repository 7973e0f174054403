#!/usr/bin/env node
// The lab's link daemon (testbed/link/daemon.ts): `node testbed/bin/linkd.js CONFIG.json`, run inside the links namespace.
import { register } from 'tsx/esm/api';

register();
const { runLinkDaemon } = await import('../link/daemon.ts');
await runLinkDaemon(process.argv[2]);
