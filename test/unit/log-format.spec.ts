import { loadConfig } from "../../config";
import { jsonLogFormatter } from "../../lib/observability/json-log-formatter";
import { chooseLogFormat, useColours } from "../../lib/observability/log-format";
import { requestContext } from "../../lib/observability/request-context";
import { textLogFormatter } from "../../lib/observability/text-log-formatter";
import { loggerOptions } from "../../wiring/broker-options";

type Formatter = (level: string, args: unknown[], bindings?: { mod?: string }) => string[];

function consoleFormatterOf(logFormat: string, isTTY: boolean, env: NodeJS.ProcessEnv = {}): Formatter {
	const config = loadConfig({ LOG_FORMAT: logFormat });
	const options = loggerOptions(config, false, { isTTY, env }) as unknown as { options: { formatter: Formatter } };
	return options.options.formatter;
}

const ESC = "\u001b[";

describe("the log format", () => {
	it("when LOG_FORMAT is not set, then it is auto", () => {
		expect(loadConfig({}).logging.format).toBe("auto");
	});

	it.each([
		["auto", true, "text"],
		["auto", false, "json"],
		["json", true, "json"],
		["text", false, "text"],
	] as const)("when LOG_FORMAT=%s and stdout is a terminal: %s, then lines are %s", (setting, isTTY, expected) => {
		expect(chooseLogFormat(setting, { isTTY })).toBe(expected);
	});

	it("when stdout is a terminal (auto), then the node writes coloured text lines with the module and the request's correlation id", () => {
		const formatter = consoleFormatterOf("auto", true);
		expect(formatter).not.toBe(jsonLogFormatter);
		const [line] = requestContext.run({ correlationId: "c-42", traceId: "c-42", spanId: "s" }, () =>
			formatter("warn", ["Slow answer", { ms: 12 }], { mod: "api" }),
		);
		expect(line).toContain(`${ESC}33mWARN `);
		const plain = (line as string).replaceAll(new RegExp(`${ESC.replace("[", "\\[")}\\d+m`, "g"), "");
		expect(plain).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} WARN {2}api: Slow answer \{ ms: 12 \} \(c-42\)$/);
	});

	it("when stdout is not a terminal (auto), then the node writes JSON lines", () => {
		const formatter = consoleFormatterOf("auto", false);
		const [line] = formatter("info", ["Started"], { mod: "broker" });
		expect(JSON.parse(line as string)).toMatchObject({ level: "info", msg: "Started", mod: "broker" });
	});

	it("when NO_COLOR is set or the output is not a terminal, then text lines carry no colour codes", () => {
		expect(useColours({ isTTY: true, env: { NO_COLOR: "1" } })).toBe(false);
		expect(useColours({ isTTY: true, env: {} })).toBe(true);
		const [piped] = consoleFormatterOf("text", false)("error", ["Failed"], { mod: "cart" });
		expect(piped).not.toContain(ESC);
		const [noColour] = textLogFormatter(useColours({ isTTY: true, env: { NO_COLOR: "1" } }))("info", ["x"]);
		expect(noColour).not.toContain(ESC);
	});

	it("when LOG_FORMAT has another value, then the configuration is refused", () => {
		expect(() => loadConfig({ LOG_FORMAT: "pretty" })).toThrow(/LOG_FORMAT/);
	});
});
