/**
 * One Appium server for a whole campaign, started when the first test that needs a session asks
 * for it (a campaign of adb-only scenarios starts none), restarted by the recovery ladder, stopped
 * at the end. A campaign file's `appium` URL (a server elsewhere, a Grid) is used as it is.
 */
export class AppiumService {
  private running: { url: string; release: () => void; done: Promise<unknown> } | null = null;
  private starting: Promise<string> | null = null;

  constructor(
    private readonly opts: { url: string | null; logFile: string },
  ) {}

  get started(): boolean {
    return this.running !== null;
  }

  async url(): Promise<string> {
    if (this.opts.url) return this.opts.url.replace(/\/+$/, '');
    if (this.running) return this.running.url;
    this.starting ??= this.start();
    try {
      return await this.starting;
    } finally {
      this.starting = null;
    }
  }

  private async start(): Promise<string> {
    // loaded only when a test needs Appium: the runner's Appium module pulls in the server
    const { withAppium } = await import('../runner/appium-use.js');
    return new Promise<string>((resolve, reject) => {
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      const done = withAppium({ logFile: this.opts.logFile }, async (url) => {
        this.running = { url, release, done };
        resolve(url);
        await held;
      }).catch((err: unknown) => {
        this.running = null;
        reject(err);
      });
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.url();
  }

  async stop(): Promise<void> {
    const r = this.running;
    if (!r) return;
    this.running = null;
    r.release();
    await r.done;
  }
}
