import { describe, expect, it } from 'vitest';
import { baseEmoji, hasSkinTone, stripVariationSelectors } from '../../src/runtime/prompt/emoji.ts';

describe('emoji normalisation', () => {
  it('strips both variation selectors and keeps skin tones', () => {
    expect(stripVariationSelectors('❤\uFE0F')).toBe('❤');
    expect(stripVariationSelectors('☺\uFE0E')).toBe('☺');
    expect(stripVariationSelectors('👍🏽\uFE0F')).toBe('👍🏽');
  });

  it('folds every skin tone and selector onto the base emoji, ZWJ sequences kept', () => {
    for (const tone of ['🏻', '🏼', '🏽', '🏾', '🏿']) expect(baseEmoji(`👍${tone}`)).toBe('👍');
    expect(baseEmoji('🧑🏾\u200d🚀')).toBe('🧑\u200d🚀');
    expect(baseEmoji('✌\uFE0F')).toBe('✌');
    expect(baseEmoji('dog')).toBe('dog');
  });

  it('says whether a skin tone is present, the same on repeated calls', () => {
    expect(hasSkinTone('👍🏿')).toBe(true);
    expect(hasSkinTone('👍🏿')).toBe(true);
    expect(hasSkinTone('👍')).toBe(false);
    expect(hasSkinTone('❤\uFE0F')).toBe(false);
  });
});
