import { downloadBand } from '../common/test-result.js';
import { defineScenario } from './kit/scenario.js';
import { ScenarioFailure, type ScenarioKit } from './kit/scenario-kit.js';
import { literal } from './kit/text.js';

/**
 * WhatsApp (000_1018b5d05352e2c8.txt): the long-lived chat connection, a text, a photo (~100 kB, a
 * connection of its own), a video, and a 5 MB document received, whose download time is the study's
 * experience measure (<= 20 s good, ~40 s the boundary, > 80 s very bad).
 */
const S = {
  chat: (name: string) => ({ id: 'conversations_row_contact_name', text: name }),
  online: { id: 'conversation_contact_status', text: 'online' },
  entry: { id: 'entry' },
  send: { id: 'send' },
  delivered: (what: string) => ({ descMatches: `${literal(what)}, (Delivered|Read)` }),
  attach: { id: 'input_attach_button' },
  gallery: { id: 'pickfiletype_gallery_holder' },
  galleryItem: (prefix: string) => ({ id: 'gallery_item_name', textMatches: `${prefix}.*` }),
  download: { id: 'control_btn', desc: 'Download' },
  downloaded: (name: string) => ({ descMatches: `${literal(name)}, .*, downloaded` }),
  downloadProgress: { id: 'document_size', textContains: ' of ' },
};

async function sendMedia(kit: ScenarioKit, kind: 'photo' | 'video', prefix: string): Promise<void> {
  await kit.tap(S.attach);
  await kit.tap(S.gallery);
  await (await kit.scrollTo(S.galleryItem(prefix))).click();
  kit.mark(`${kind}-send`);
  await kit.tap(S.send);
  await kit.find(S.delivered(kind), 60);
  kit.mark(`${kind}-delivered`);
  kit.measureSeconds('delivery-time', kit.between(`${kind}-send`, `${kind}-delivered`), { item: kind });
}

export const whatsapp = defineScenario({
  name: 'whatsapp',
  app: { package: 'com.whatsapp', label: 'WhatsApp' },
  description: 'open a chat (long-lived connection), send a text, a photo and a video, download a 5 MB document and time it',
  selectorsFrom: 'WhatsApp 2.15 ids (entry, send, conversations_row_contact_name, control_btn) as the virtual app has them; run here only against the virtual app',
  params: {
    contact: { default: 'Alice', description: 'the chat to open (the one holding the document)' },
    document: { default: 'report.pdf', description: 'the received document to download' },
  },
  async run(kit) {
    await kit.openFresh();
    await kit.tap(S.chat(kit.param<string>('contact')));
    await kit.find(S.online, 30);
    kit.mark('online');

    const text = `Hello from mplab at ${new Date().toISOString().slice(11, 19)}`;
    await kit.type(S.entry, text);
    kit.mark('text-send');
    await kit.tap(S.send);
    await kit.find(S.delivered(text), 30);
    kit.mark('text-delivered');
    kit.measureSeconds('delivery-time', kit.between('text-send', 'text-delivered'), { item: 'text' });

    await sendMedia(kit, 'photo', 'IMG');
    await sendMedia(kit, 'video', 'VID');

    const name = kit.param<string>('document');
    await (await kit.scrollTo({ id: 'message_text', text: name })).isExisting();
    kit.mark('download-start');
    await kit.tap(S.download);
    try {
      await kit.find(S.downloaded(name), 100);
    } catch (error) {
      kit.measureSeconds('download-time', null, { item: name });
      throw error instanceof ScenarioFailure ? new ScenarioFailure(`the ${name} download did not complete: ${error.message}`) : error;
    }
    kit.mark('download-done');
    kit.measureSeconds('download-time', kit.between('download-start', 'download-done'), { item: name, band: downloadBand });
  },
});
