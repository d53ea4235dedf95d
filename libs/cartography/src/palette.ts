/**
 * The quadrant colours, defined once for the web's data map and the study report's charts
 * (libs/study charts.ts). Okabe–Ito colours, which stay distinguishable under the common
 * colour-vision deficiencies: warm means high memorization, darker means high difficulty, so
 * the two axes read in hue and in lightness, and the hotspot differs from every other quadrant
 * in lightness too. Browser-safe (`@gdc/cartography/palette`: no imports at run time).
 */
/**
 * The quadrants in code order: the same list as QUADRANTS (quadrants.ts), restated so that this
 * file imports nothing (the web type-checks and bundles it alone); palette.test.ts keeps them equal.
 */
export const QUADRANT_ORDER = ["STABLE_EASY", "AMBIGUOUS_HARD", "HOTSPOT_MEMORIZED", "NOISY_OUTLIER"] as const;

export const QUADRANT_COLORS = {
  STABLE_EASY: "#56B4E9",
  AMBIGUOUS_HARD: "#0072B2",
  HOTSPOT_MEMORIZED: "#D55E00",
  NOISY_OUTLIER: "#E69F00",
} as const satisfies Record<(typeof QUADRANT_ORDER)[number], string>;

/** Canaries are drawn with a ring in this colour (black in Okabe–Ito). */
export const CANARY_COLOR = "#000000";

/**
 * The quadrants' marker shapes, so that they differ without colour too (greyscale, colour
 * vision deficiencies): the data map draws each point in its quadrant's shape and its legend
 * shows the same shapes. The rare, interesting quadrants get the most distinct outlines.
 */
export const QUADRANT_SHAPES = {
  STABLE_EASY: "square",
  AMBIGUOUS_HARD: "triangle",
  HOTSPOT_MEMORIZED: "diamond",
  NOISY_OUTLIER: "plus",
} as const satisfies Record<(typeof QUADRANT_ORDER)[number], string>;
