// Runs in the inference process and the CLI.
// Emoji text normalisation shared by the prompt encoder, the coarse prior, the training-data
// builder and the model evaluation: variation selectors (U+FE0E text, U+FE0F emoji
// presentation) and Fitzpatrick skin-tone modifiers (U+1F3FB..U+1F3FF, Unicode TR51).
// Plain string functions: no imports, safe for any layer.

const VARIATION_SELECTORS = /[\uFE0E\uFE0F]/gu;
const SKIN_TONE = /[\u{1F3FB}-\u{1F3FF}]/u;
const TONE_AND_SELECTORS = /[\uFE0E\uFE0F]|[\u{1F3FB}-\u{1F3FF}]/gu;

/** The text without variation selectors U+FE0E/U+FE0F (TR51 presentation selectors): "❤️" -> "❤". */
export function stripVariationSelectors(text: string): string {
  return text.replace(VARIATION_SELECTORS, '');
}

/** The emoji without skin-tone modifiers (TR51 U+1F3FB..U+1F3FF) and variation selectors: "👍🏽" -> "👍". */
export function baseEmoji(text: string): string {
  return text.replace(TONE_AND_SELECTORS, '');
}

/** Whether the text holds a skin-tone modifier (TR51 U+1F3FB..U+1F3FF). */
export function hasSkinTone(text: string): boolean {
  return SKIN_TONE.test(text);
}
