/** Patterns for free text in action params (fastest-validator `pattern`). */

/** No control characters: they would corrupt logs, headers and other systems' displays. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f]*$/;

/** As NO_CONTROL_CHARS, but with line breaks (`\n`, `\r`): multi-line text such as a description. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const NO_CONTROL_CHARS_BUT_LINE_BREAKS = /^[^\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]*$/;
