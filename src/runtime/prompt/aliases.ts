// Runs in the inference process and the CLI.
// Common English names of emoji that their CLDR names and keywords lack, for the phrase matcher
// (phrase-match.ts): each is one more English name of that emoji. A name whose emoji the model
// does not have is ignored.

/** [emoji, name] pairs. */
export const ENGLISH_ALIASES: readonly (readonly [string, string])[] = [
  ['🚀', 'rocket ship'],
  ['🚀', 'spaceship'],
  ['🚀', 'space ship'],
  ['🏎️', 'sports car'],
  ['🏎️', 'race car'],
  ['🏕️', 'campsite'],
  ['🔥', 'campfire'],
  ['🔥', 'bonfire'],
  // No waterfall emoji: the water wave (read as "water" + "fall" it would be 🍂 fallen leaf).
  ['🌊', 'waterfall'],
  ['🍰', 'piece of cake'],
  ['🍰', 'slice of cake'],
  ['🍰', 'cake slice'],
  ['🏘️', 'village'],
  ['🍔', 'cheeseburger'],
  ['🐶', 'puppy'],
  ['🐱', 'kitten'],
  ['🛸', 'ufo'],
  ['🛸', 'alien spaceship'],
];
