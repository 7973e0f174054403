/** Paths on the phone (inside its root), shared by the daemon and the programs that run on the phone. */
export const SHELL_UID = 2000;
export const SDCARD = '/storage/emulated/0';
export const LOCAL_TMP = '/data/local/tmp';
/** Where the in-phone programs (command client, sync server) are installed. */
export const PHONE_LIB = '/system/lib/mplab';
/** The program behind every Android command of the daemon's (native/phone_command.c); /system/bin/NAME links to it. */
export const PHONE_COMMAND = `${PHONE_LIB}/phone-command`;
/** Sockets the Android commands use to reach the daemon (the phone's "system server"). */
export const SHELL_SOCKET = '/dev/socket/mplab-system';
/** Only root may connect to this one (mode 0600), so a request on it comes from root. */
export const ROOT_SOCKET = '/dev/socket/mplab-system-root';
/** Node on the host, reached through the read-only /usr bind mount. */
export const NODE = '/usr/bin/node';
