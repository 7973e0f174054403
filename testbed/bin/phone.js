#!/usr/bin/env node
// A virtual phone's adb daemon (testbed/phone/main.ts) as a process of its own, started by `mplab lab up`.
import { register } from 'tsx/esm/api';

register();
await import('../phone/main.ts');
