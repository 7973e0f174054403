import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { execa } from 'execa';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remote } from 'webdriverio';
import { startAppiumServer, type AppiumServer } from '../../../framework/appium/server.js';
import { FONT_FILE } from '../../../testbed/phone/uiautomator2/screenshot.js';
import { skipUnless } from '../../support/prereq.js';
import { ITEM_HEIGHT, LIST_TOP, UI_TEST_ACTIVITY, UI_TEST_PACKAGE, uiTestApp } from '../../support/ui-test-app.js';
import { createVirtualPhone, type VirtualPhoneFixture } from '../../support/virtual-phone.js';

/**
 * A user's own WebdriverIO script against a virtual phone: webdriverio's remote() -> the Appium 3
 * server (started with framework/appium) -> the real UiAutomator2 driver -> Debian's adb server ->
 * the phone. Nothing of mplab stands between the client and the phone.
 */

const ID = (name: string) => `${UI_TEST_PACKAGE}:id/${name}`;

describe.skipIf(skipUnless({ root: true, commands: ['adb'], packages: ['appium', 'appium-uiautomator2-driver', 'webdriverio'], files: [{ path: FONT_FILE, package: 'fonts-dejavu-core' }] }))('WebdriverIO through Appium and the UiAutomator2 driver on a virtual phone', () => {
  let phone: VirtualPhoneFixture;
  let appium: AppiumServer;
  let driver: WebdriverIO.Browser;
  let dir: string;
  let sessionMs = 0;
  let ended = false;
  const app = uiTestApp();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mplabt-uia2-'));
    phone = await createVirtualPhone({ phone: { apps: [app] } });
    appium = await startAppiumServer({ logFile: path.join(dir, 'appium.log') });
    const started = performance.now();
    driver = await remote({
      hostname: '127.0.0.1',
      port: appium.port,
      path: '/',
      logLevel: 'warn',
      capabilities: {
        platformName: 'Android',
        'appium:automationName': 'UiAutomator2',
        'appium:udid': phone.serial,
        'appium:appPackage': UI_TEST_PACKAGE,
        'appium:appActivity': UI_TEST_ACTIVITY,
        'appium:noReset': true,
        'appium:skipServerInstallation': true,
        'appium:skipDeviceInitialization': true,
      },
    });
    sessionMs = performance.now() - started;
  });

  afterAll(async () => {
    if (!ended) await driver?.deleteSession().catch(() => undefined);
    await appium?.stop();
    await phone?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const status = async () => (await driver.$(`id=${ID('status')}`)).getText();

  it('starts the session with the app in front (am start-activity through the driver)', async () => {
    console.log(`session created in ${Math.round(sessionMs)} ms`);
    expect(await driver.getCurrentPackage()).toBe(UI_TEST_PACKAGE);
    expect(phone.phone!.system.foreground().package).toBe(UI_TEST_PACKAGE);
    const ps = await phone.shell('ps -A');
    expect(ps.stdout.split('\n')[0].split(/\s+/)).toEqual(['USER', 'PID', 'PPID', 'VSZ', 'RSS', 'WCHAN', 'ADDR', 'S', 'NAME']);
    expect(ps.stdout).toMatch(/\sio\.appium\.uiautomator2\.server$/m);
  });

  it('finds by id, accessibility id, class name, xpath and UiSelector', async () => {
    const byId = await driver.findElement('id', ID('add'));
    const byShortId = await driver.findElement('id', 'add');
    const byA11y = await driver.findElement('accessibility id', 'status');
    const byClass = await driver.findElements('class name', 'android.widget.Button');
    const byXPath = await driver.findElement('xpath', "//android.widget.Button[@text='Details']");
    const byUiSelector = await driver.findElement('-android uiautomator', 'new UiSelector().resourceIdMatches(".*:id/a.d").className("android.widget.Button")');
    const ref = (e: unknown) => (e as Record<string, string>)['element-6066-11e4-a52e-4f735466cecf'];
    expect(ref(byShortId)).toBe(ref(byId));
    expect(ref(byUiSelector)).toBe(ref(byId));
    expect(await driver.getElementText(ref(byA11y))).toBe('Ready');
    expect(byClass).toHaveLength(2);
    expect(await driver.getElementText(ref(byXPath))).toBe('Details');
    const items = await driver.$$('android=new UiSelector().resourceId("' + ID('list') + '").childSelector(new UiSelector().textStartsWith("Item"))');
    expect(items.length).toBe(Math.ceil((2400 - LIST_TOP) / ITEM_HEIGHT));
    expect(await driver.$('android=new UiSelector().text("Item 3").instance(0)').getText()).toBe('Item 3');
    expect(await driver.$('android=new UiSelector().className("android.widget.CheckBox").checked(false)').getAttribute('checkable')).toBe('true');
  });

  it('clicks, types (setValue, addValue), clears', async () => {
    const field = await driver.$(`id=${ID('field')}`);
    await field.setValue('hello');
    expect(await field.getText()).toBe('hello');
    await field.addValue(' world');
    expect(await field.getText()).toBe('hello world');
    await driver.$(`id=${ID('add')}`).click();
    expect(await status()).toBe('Added hello world');
    await field.clearValue();
    expect(await field.getText()).toBe('');
    expect(await field.getAttribute('hint')).toBe('Type here');
    await driver.$(`id=${ID('agree')}`).click();
    expect(await driver.$(`id=${ID('agree')}`).getAttribute('checked')).toBe('true');
  });

  it('swipes the list and sees it move; UiScrollable scrolls an item into view', async () => {
    const first = async () => driver.$(`android=new UiSelector().resourceId("${ID('item')}")`).getText();
    expect(await first()).toBe('Item 1');
    await driver
      .action('pointer', { parameters: { pointerType: 'touch' } })
      .move({ x: 540, y: 2000 })
      .down()
      .move({ x: 540, y: 1200, duration: 300 })
      .up()
      .perform();
    expect(await first()).toBe('Item 5');
    expect(app.state.scroll).toBe(800);
    const far = await driver.$('android=new UiScrollable(new UiSelector().scrollable(true)).scrollIntoView(new UiSelector().text("Item 33"))');
    expect(await far.getText()).toBe('Item 33');
    const rect = await far.getLocation();
    expect(rect.y).toBeGreaterThanOrEqual(LIST_TOP);
  });

  it('long-presses an element', async () => {
    const item = await driver.$(`android=new UiSelector().resourceId("${ID('item')}").instance(1)`);
    const text = await item.getText();
    await item.longPress();
    expect(await status()).toBe(`Long-pressed ${text}`);
  });

  it('presses keys and goes back', async () => {
    await driver.pressKeyCode(66);
    expect(await status()).toBe('Enter');
    await driver.$(`id=${ID('details')}`).click();
    expect(await driver.$(`id=${ID('title')}`).getText()).toBe('Details');
    await driver.back();
    expect(await driver.$(`id=${ID('add')}`).isDisplayed()).toBe(true);
  });

  it('reads a well-formed page source with the server attributes in order', async () => {
    const source = await driver.getPageSource();
    const errors: string[] = [];
    const doc = new DOMParser({ onError: (level, message) => void (level !== 'warning' && errors.push(message)) }).parseFromString(source, 'text/xml');
    expect(errors).toEqual([]);
    const root = doc.documentElement!;
    expect(root.tagName).toBe('hierarchy');
    expect(['index', 'class', 'rotation', 'width', 'height'].map((a) => root.getAttribute(a))).toEqual(['0', 'hierarchy', '0', '1080', '2400']);
    const line = source.split('\n').find((l) => l.includes(`resource-id="${ID('add')}"`))!;
    const names = [...line.matchAll(/ ([a-z-]+)="/g)].map((m) => m[1]);
    expect(names).toEqual(['index', 'package', 'class', 'text', 'content-desc', 'resource-id', 'checkable', 'checked', 'clickable', 'enabled', 'focusable', 'focused', 'long-clickable', 'password', 'scrollable', 'selected', 'bounds', 'displayed']);
    expect(line).toMatch(/^\s+<android\.widget\.Button index="1" package="org\.mplab\.uitest" class="android\.widget\.Button" text="Add"/);
  });

  it('takes a screenshot that is a PNG of the screen drawn from the views, the same as screencap -p', async () => {
    const png = PNG.sync.read(Buffer.from(await driver.takeScreenshot(), 'base64'));
    expect([png.width, png.height]).toEqual([1080, 2400]);
    const pixel = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];
    expect(pixel(540, 40)).toEqual([32, 33, 36]); // status bar
    expect(pixel(100, 300)).toEqual([232, 240, 254]); // the Add button's face
    // the button's label: dark pixels inside its box
    let dark = 0;
    for (let y = 290; y < 350; y++) for (let x = 56; x < 200; x++) if (pixel(x, y)[0] < 100) dark++;
    expect(dark).toBeGreaterThan(100);
    const screencap = await execa('adb', ['-s', phone.serial, 'exec-out', 'screencap', '-p'], { encoding: 'buffer' });
    expect(Buffer.compare(Buffer.from(screencap.stdout), PNG.sync.write(png, { deflateLevel: 1 })) === 0 || PNG.sync.read(Buffer.from(screencap.stdout)).data.equals(png.data)).toBe(true);
  });

  it('answers window size, device info and orientation', async () => {
    expect(await driver.getWindowSize()).toEqual({ width: 1080, height: 2400 });
    const info = (await driver.execute('mobile: deviceInfo')) as Record<string, unknown>;
    expect(info).toMatchObject({ apiVersion: '34', platformVersion: '14', realDisplaySize: '1080x2400', displayDensity: 420 });
    expect(await driver.getOrientation()).toBe('PORTRAIT');
  });

  it('gives a stale element reference once the view is gone, and no such element with HTTP 404', async () => {
    const add = await driver.findElement('id', ID('add'));
    const ref = (add as Record<string, string>)['element-6066-11e4-a52e-4f735466cecf'];
    await driver.$(`id=${ID('details')}`).click();
    await expect(driver.getElementText(ref)).rejects.toMatchObject({ name: 'stale element reference' });
    await driver.back();
    expect(await driver.getElementText(ref)).toBe('Add');
    // WebdriverIO's protocol command hands the W3C error back as the result.
    expect(await driver.findElement('accessibility id', 'no such thing')).toMatchObject({ error: 'no such element' });
    const response = await fetch(`${appium.url}/session/${driver.sessionId}/element`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ using: 'id', value: 'nothing_here' }) });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { value: { error: string } }).value.error).toBe('no such element');
  });

  it('ends the session cleanly: the server process gone, the forward removed', async () => {
    const forwards = async () => (await execa('adb', ['forward', '--list'])).stdout.split('\n').filter((l) => l.startsWith(`${phone.serial} `));
    expect((await forwards()).some((l) => l.endsWith('tcp:6790'))).toBe(true);
    await driver.deleteSession();
    ended = true;
    expect(await forwards()).toEqual([]);
    const ps = await phone.shell('ps -A');
    expect(ps.stdout).not.toMatch(/io\.appium\.uiautomator2\.server/);
    const instrument = await phone.shell('ps -A -o pid,args');
    expect(instrument.stdout).not.toMatch(/instrument/);
  });
});
