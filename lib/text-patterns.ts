/** Patterns for free text in action params (fastest-validator `pattern`). */

/** No control characters: they would corrupt logs, headers and other systems' displays. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f]*$/;

/** As NO_CONTROL_CHARS, but with line breaks (`\n`, `\r`): multi-line text such as a description. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const NO_CONTROL_CHARS_BUT_LINE_BREAKS = /^[^\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]*$/;

/**
 * A SKU, the same rule wherever one is accepted (products, inventory, orders): 1 to 64 letters, digits,
 * `.`, `_` and `-`, starting with a letter or digit. No spaces (MySQL's PAD SPACE collations would make
 * `SKU-1` and `SKU-1 ` one key) and no `:` (reservation ids are `orderId:sku`).
 */
export const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
