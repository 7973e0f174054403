/** A Java/JavaScript regular expression matching `text` literally (for UiSelector's *Matches). */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
