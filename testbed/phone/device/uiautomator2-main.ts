/**
 * Runs on the phone (bundled into /system/lib/mplab/uiautomator2.mjs) as the UiAutomator2 server's
 * process, started by `am instrument`: named after the server's package, as an Android app process
 * is, so that `ps -A` shows it; it stays until the daemon (which serves the server's port, made in
 * the phone's namespace) ends the instrumentation or goes away. Its death ends the instrumentation.
 */
process.title = 'io.appium.uiautomator2.server';
process.on('disconnect', () => process.exit(0));
