import { runCli, type CommandLoaders } from './program.js';

/** Each top-level command's module, loaded only when that command runs (or for the overall help). */
const COMMANDS: CommandLoaders = {
  analyze: async () => (await import('./analyze.js')).registerAnalyze,
  lab: async () => (await import('./lab.js')).registerLab,
  proxy: async () => (await import('./proxy.js')).registerProxy,
  capture: async () => (await import('./capture.js')).registerCapture,
  devices: async () => (await import('./devices.js')).registerDevices,
  device: async () => (await import('./devices.js')).registerDevices,
  demo: async () => (await import('./demo.js')).registerDemo,
  run: async () => (await import('./test-run.js')).registerRun,
  scenarios: async () => (await import('./test-run.js')).registerRun,
  scenario: async () => (await import('./test-run.js')).registerRun,
  campaign: async () => (await import('./campaign.js')).registerCampaign,
  report: async () => (await import('./report.js')).registerReport,
  grid: async () => (await import('./grid.js')).registerGrid,
};

await runCli(COMMANDS);
