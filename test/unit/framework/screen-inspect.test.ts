import { describe, expect, it } from 'vitest';
import { formatScreen, parseWindowDump } from '../../../framework/runner/screen-inspect.js';

const DUMP = `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0"><node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="com.whatsapp" content-desc="" clickable="false" scrollable="false" bounds="[0,0][1080,2400]"><node index="0" text="Tom &amp; &quot;Jerry&quot;" resource-id="com.whatsapp:id/conversation" class="android.widget.TextView" package="com.whatsapp" content-desc="" clickable="true" scrollable="false" bounds="[0,200][1080,400]" /><node index="1" text="" resource-id="" class="android.widget.ImageButton" package="com.whatsapp" content-desc="New chat" clickable="true" scrollable="false" bounds="[900,2200][1040,2340]" /></node></hierarchy>`;

describe('scenario inspect: the screen as selectors see it', () => {
  it('reads the views of a uiautomator dump with their depth and unescaped attributes', () => {
    const views = parseWindowDump(DUMP);
    expect(views.map((v) => [v.depth, v.resourceId, v.text, v.contentDesc])).toEqual([
      [0, '', '', ''],
      [1, 'com.whatsapp:id/conversation', 'Tom & "Jerry"', ''],
      [1, '', '', 'New chat'],
    ]);
  });

  it('prints the views a selector can name', () => {
    expect(formatScreen(parseWindowDump(DUMP))).toBe(
      ['TextView  id=com.whatsapp:id/conversation  text="Tom & \\"Jerry\\""  clickable  [0,200][1080,400]', 'ImageButton  desc="New chat"  clickable  [900,2200][1040,2340]'].join('\n'),
    );
  });
});
