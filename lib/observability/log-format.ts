/** How a node writes its log lines. */
export type LogFormat = "json" | "text";

/** LOG_FORMAT: `auto` (the default) lets the output decide; `json` and `text` force one. */
export type LogFormatSetting = LogFormat | "auto";

/** What the choice looks at: whether the output is a terminal, and the NO_COLOR convention. */
export interface LogOutput {
	isTTY?: boolean;
	env?: NodeJS.ProcessEnv;
}

/**
 * `auto`: text when a person watches the output (a terminal: `npm start` on a laptop), JSON lines when
 * it is piped or redirected (a container's log collector, a file, a test reading the output).
 */
export function chooseLogFormat(setting: LogFormatSetting, output: LogOutput): LogFormat {
	if (setting !== "auto") return setting;
	return output.isTTY === true ? "text" : "json";
}

/** Colours only on a terminal, and not when the user asked for none (https://no-color.org). */
export function useColours(output: LogOutput): boolean {
	const noColor = output.env?.NO_COLOR;
	return output.isTTY === true && (noColor === undefined || noColor === "");
}
