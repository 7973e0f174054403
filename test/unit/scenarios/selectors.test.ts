import { describe, expect, it } from 'vitest';
import { describeSelector, scrollIntoView, uiSelector, wdioSelector } from '../../../scenarios/kit/selectors.js';

describe('scenario selectors', () => {
  const pkg = 'com.whatsapp';
  it('turn into UiSelector expressions, with the app package added to a bare id and Java strings escaped', () => {
    expect(uiSelector({ id: 'send' }, pkg)).toBe('new UiSelector().resourceId("com.whatsapp:id/send")');
    expect(uiSelector({ id: 'android:id/title' }, pkg)).toBe('new UiSelector().resourceId("android:id/title")');
    expect(uiSelector({ text: 'Say "hi" \\o/' }, pkg)).toBe('new UiSelector().text("Say \\"hi\\" \\\\o/")');
    expect(uiSelector({ textContains: 'MB' }, pkg)).toBe('new UiSelector().textContains("MB")');
    expect(uiSelector({ xpath: '//x' }, pkg)).toBeNull();
    expect(uiSelector({ id: 'title', text: 'Alice', descMatches: 'Alice, .*' }, pkg)).toBe('new UiSelector().resourceId("com.whatsapp:id/title").text("Alice").descriptionMatches("Alice, .*")');
    expect(() => uiSelector({}, pkg)).toThrow(/at least one/);
  });

  it('turn into WebdriverIO selector strings: ~ for descriptions, android= for UiSelectors, XPath as it is', () => {
    expect(wdioSelector({ desc: 'Play' }, pkg)).toBe('~Play');
    expect(wdioSelector({ desc: 'Play', id: 'x' }, pkg)).toBe('android=new UiSelector().resourceId("com.whatsapp:id/x").description("Play")');
    expect(wdioSelector({ id: 'send' }, pkg)).toBe('android=new UiSelector().resourceId("com.whatsapp:id/send")');
    expect(wdioSelector({ xpath: '//android.widget.Button[@text="OK"]' }, pkg)).toBe('//android.widget.Button[@text="OK"]');
  });

  it('scroll into view through the first scrollable view, and refuse XPath there', () => {
    expect(scrollIntoView({ text: 'news' }, pkg)).toBe('new UiScrollable(new UiSelector().scrollable(true).instance(0)).scrollIntoView(new UiSelector().text("news"))');
    expect(() => scrollIntoView({ xpath: '//a' }, pkg)).toThrow(/XPath cannot be scrolled to/);
    expect(describeSelector({ id: 'send' })).toBe('id "send"');
    expect(describeSelector({ id: 'title', text: 'Alice' })).toBe('id "title" text "Alice"');
  });
});
